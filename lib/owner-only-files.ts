/**
 * Files only the server's account may read or change (DATA_DIR's, SECURITY.md): the umask the
 * server runs with, and taking other accounts' access off what was made without it. No
 * server-only here: db/client.ts uses it too.
 */
import fs from "node:fs";
import path from "node:path";

/** The umask of the server and of every process it starts: what they create is 0600 (files) and 0700 (folders). */
export const OWNER_ONLY_UMASK = 0o077;

/** A file or folder whose mode was tightened. */
export interface ModeChange {
  path: string;
  before: number;
  after: number;
}

/** What a pass over files tightened, and what it could not (another account's file, a folder it cannot read). */
export interface Tightening {
  changed: ModeChange[];
  failed: { path: string; reason: string }[];
}

const NO_FOLLOW = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

/** A mode as `ls -l` users write it: 0755, 0600. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/**
 * Takes the group's and others' permissions (and setuid, setgid, sticky) off one file or folder,
 * keeping the owner's: 0666 → 0600, 0755 → 0700, 0400 stays. A link is never followed (looked at
 * with lstat, changed through a descriptor opened with O_NOFOLLOW, so not one swapped in between
 * either); a link, a socket, a FIFO or a device is left as it is. Returns the change, or null
 * when none was needed.
 */
export function restrictToOwner(file: string): ModeChange | null {
  const seen = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!seen || (!seen.isFile() && !seen.isDirectory()) || (seen.mode & 0o7077) === 0) return null;
  let fd: number;
  try {
    fd = fs.openSync(file, NO_FOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOENT" || code === "ENXIO") return null; // replaced by a link or a socket, or gone
    throw err;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() && !stat.isDirectory()) return null;
    const before = stat.mode & 0o7777;
    const after = before & 0o700;
    if (before === after) return null;
    fs.fchmodSync(fd, after);
    return { path: file, before, after };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * restrictToOwner for a folder and everything in it. Each folder is closed to other accounts
 * before it is read, so none of them can place a link in it while the pass runs; links found are
 * neither followed nor changed. A file that cannot be changed is reported, not thrown.
 */
export function restrictTreeToOwner(dir: string, into: Tightening = { changed: [], failed: [] }): Tightening {
  if (!fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() || !restrictToOwnerInto(dir, into)) return into;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    into.failed.push({ path: dir, reason: (err as Error).message });
    return into;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) restrictTreeToOwner(full, into);
    else if (entry.isFile()) restrictToOwnerInto(full, into);
  }
  return into;
}

/** restrictToOwner, its outcome recorded; false when it failed (a folder then is not entered). */
export function restrictToOwnerInto(file: string, into: Tightening): boolean {
  try {
    const change = restrictToOwner(file);
    if (change) into.changed.push(change);
    return true;
  } catch (err) {
    into.failed.push({ path: file, reason: (err as Error).message });
    return false;
  }
}
