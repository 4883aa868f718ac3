import "server-only";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { processStartTime } from "./supervisor/process-tree";

/**
 * This process's private folder in the system's temporary directory (0700): the seccomp
 * filter's file, bubblewrap's argument files, the FIFOs of hooks' output. Its name carries the
 * process's id and start time, `pwi-proc-<pid>-<start>-XXXXXX`. It is removed when the process
 * exits; a process that was killed cannot remove it, so the first process to make its own
 * removes the folders of processes that are gone (same account, id no longer running with that
 * start time). Nothing in it is followed: the sweep removes each folder with `rmSync`, which
 * never follows a link.
 */
const PREFIX = "pwi-proc-";
const NAME = /^pwi-proc-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

let root: string | null = null;

/** Whether process `pid` that started at `start` has ended (an id that runs again has another start time). */
const gone = (pid: number, start: string) => processStartTime(pid) !== start;

/** Removes the private folders of this account's processes that are no longer running. */
export function sweepPrivateTemp(dir = os.tmpdir()): number {
  if (processStartTime(process.pid) === null) return 0; // no /proc: no way to tell who is gone
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m || !gone(Number(m[1]), m[2]!)) continue;
    const full = path.join(dir, name);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st?.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
    try {
      fs.rmSync(full, { recursive: true, force: true });
      removed++;
    } catch {
      /* another process removes it too, or it is not ours to remove */
    }
  }
  return removed;
}

/** Whether `dir` is a real folder (not a link) of this account that only it may enter. */
function ours(dir: string): boolean {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  return !!st && st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o777) === 0o700;
}

/**
 * The folder `sub` of this process's private temporary folder, made (0700) if it is not there.
 * The folder is used again only while it is still this account's own 0700 folder: one that a
 * cleaner removed is never trusted by its name (another account could have made a folder of that
 * name meanwhile); a new one is made instead.
 */
export function privateTempDir(sub: string): string {
  if (!root || !ours(root)) {
    if (!root) sweepPrivateTemp();
    const made = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-${processStartTime(process.pid) ?? "0"}-`));
    fs.chmodSync(made, 0o700);
    if (!root) process.once("exit", () => root && ours(root) && fs.rmSync(root, { recursive: true, force: true }));
    root = made;
  }
  // Inside a folder only this account may enter: nothing else can have made `sub`.
  const dir = path.join(root, sub);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return dir;
}
