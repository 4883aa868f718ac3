import "server-only";
import fs from "node:fs";
import path from "node:path";
import { formatMode, OWNER_ONLY_UMASK, restrictToOwnerInto, restrictTreeToOwner, type ModeChange, type Tightening } from "@/lib/owner-only-files";

/** DATA_DIR's folders whose every file is the server's alone: the embedded database, and sockets and records of running hooks. */
const WHOLLY_PRIVATE = new Set(["pglite", "run"]);

/**
 * Run first by every process that uses DATA_DIR (the server, `npm run worker`): sets the process's
 * umask to 0077, so what it and the processes it starts create is theirs alone, creates DATA_DIR
 * 0700, and takes other accounts' access off what an older version or another umask left: DATA_DIR
 * itself, every file of pglite/ and run/, the top-level files (auth-secret, variables-key, …) and
 * the top-level folders' own modes. It does not go into repos/, builds/, deploys/, volumes/ or
 * snapshots/ (environments' data, behind DATA_DIR's 0700 anyway) and follows no link: the
 * configured DATA_DIR may be one, what is beneath it is not.
 */
export function protectDataDir(dataDir: string, log: (line: string) => void): Tightening {
  process.umask(OWNER_ONLY_UMASK);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const root = fs.realpathSync(dataDir);
  const report: Tightening = { changed: [], failed: [] };
  if (restrictToOwnerInto(root, report)) {
    const own = report.changed[0];
    if (own) log(`DATA_DIR ${dataDir} was mode ${formatMode(own.before)}: tightened to ${formatMode(own.after)} (only the server's account may read it).`);
  } else {
    const mode = formatMode(fs.statSync(root).mode & 0o7777);
    log(`DATA_DIR ${dataDir} is mode ${mode} and could not be tightened to 0700 (${report.failed[0]?.reason}): other accounts may read the server's files. Make the server's account its owner.`);
  }
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory() && WHOLLY_PRIVATE.has(entry.name)) restrictTreeToOwner(full, report);
    else restrictToOwnerInto(full, report); // a link is left alone
  }
  const within = report.changed.filter((change) => change.path !== root);
  if (within.length > 0) log(`Tightened ${within.length} file(s) and folder(s) in DATA_DIR that other accounts could read (${summarize(root, within)}): only the server's account may read them now.`);
  const [first, ...more] = report.failed.filter((failure) => failure.path !== root);
  if (first) log(`Could not tighten ${1 + more.length} path(s) in DATA_DIR, other accounts may read them (${first.path}: ${first.reason}${more.length > 0 ? ", …" : ""}): make the server's account their owner.`);
  return report;
}

/** The changes by DATA_DIR's entry: "pglite/ (994), auth-secret (was 0644)". */
function summarize(root: string, changes: readonly ModeChange[]): string {
  const counts = new Map<string, number>();
  const alone = new Map<string, ModeChange>();
  for (const change of changes) {
    const relative = path.relative(root, change.path);
    const top = relative.split(path.sep)[0] ?? relative;
    counts.set(top, (counts.get(top) ?? 0) + 1);
    if (top === relative) alone.set(top, change);
  }
  return [...counts].map(([name, count]) => {
    const change = alone.get(name);
    return count === 1 && change ? `${name} (was ${formatMode(change.before)})` : `${name}/ (${count})`;
  }).join(", ");
}
