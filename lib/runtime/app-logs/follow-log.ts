import "server-only";
import fs from "node:fs";
import path from "node:path";
import { openLogForReading, readLinesAt, type LogRecord } from "./read-log";

/** Without a file event, a follower looks anyway this often (events missed, inotify watches exhausted, no folder yet). */
export const FOLLOW_POLL_MS = 250;

type Listener = (file: string | null) => void;
interface DirectoryWatch {
  watcher: fs.FSWatcher | null;
  listeners: Set<Listener>;
}

const key = Symbol.for("pwi.app-log-watches");
type G = typeof globalThis & { [key]?: Map<string, DirectoryWatch> };
const watches = (): Map<string, DirectoryWatch> => ((globalThis as G)[key] ??= new Map());

/** Starts the folder's one inotify watch if it is not running (the folder may not exist yet: the poll covers that). */
function startWatch(dir: string, entry: DirectoryWatch) {
  if (entry.watcher) return;
  try {
    const watcher = fs.watch(dir, { persistent: false }, (_event, file) => {
      for (const listener of entry.listeners) listener(file ? String(file) : null);
    });
    watcher.on("error", () => {
      watcher.close();
      if (entry.watcher === watcher) entry.watcher = null;
    });
    entry.watcher = watcher;
  } catch {
    entry.watcher = null;
  }
}

/** Listens to changes in `dir`, through one watch per folder shared by its followers; returns the stop. */
function subscribe(dir: string, listener: Listener): { stop(): void; retry(): void } {
  const all = watches();
  let entry = all.get(dir);
  if (!entry) all.set(dir, (entry = { watcher: null, listeners: new Set() }));
  const own = entry;
  own.listeners.add(listener);
  startWatch(dir, own);
  return {
    retry: () => startWatch(dir, own),
    stop() {
      own.listeners.delete(listener);
      if (own.listeners.size > 0) return;
      own.watcher?.close();
      own.watcher = null;
      if (all.get(dir) === own) all.delete(dir);
    },
  };
}

/** Folders watched and followers listening, in this process (tests check that a closed stream leaves none). */
export function activeLogWatches(): { folders: number; followers: number } {
  let followers = 0;
  for (const entry of watches().values()) followers += entry.listeners.size;
  return { folders: watches().size, followers };
}

export interface FollowOptions {
  /** The byte offset to start at (a record's `offset`); past the file's end: 0 (the file was rotated). */
  from: number;
  /** The inode `from` belongs to (tailLines gives it): another file there now starts at 0. */
  inode?: number | null;
  /** Stops the follower: the iterator ends and its watch and file are let go. */
  signal: AbortSignal;
  pollMs?: number;
}

/**
 * New lines of a log as they are written, in batches, from byte `from` on: woken by the folder's
 * inotify watch (a fallback look every 250 ms), surviving rotation (when the path names another
 * file, the old one is read to its end and the new one from its start) and a file that does not
 * exist yet. Only complete lines are given. Ends when `signal` aborts.
 */
export async function* followLog(file: string, options: FollowOptions): AsyncGenerator<LogRecord[], void, undefined> {
  const { signal } = options;
  const pollMs = options.pollMs ?? FOLLOW_POLL_MS;
  const base = path.basename(file);
  let changed = true;
  let wake: (() => void) | null = null;
  const watch = subscribe(path.dirname(file), (name) => {
    if (name !== null && name !== base && !name.startsWith(`${base}.`)) return;
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  let handle: fs.promises.FileHandle | null = null;
  let inode: number | null = null;
  let pos = options.from;
  let expectedInode = options.inode ?? null;
  try {
    while (!signal.aborted) {
      changed = false;
      if (!handle) {
        handle = await openLogForReading(file).catch(() => null);
        if (handle) {
          const stat = await handle.stat();
          inode = stat.ino;
          if ((expectedInode !== null && expectedInode !== inode) || pos > stat.size) pos = 0;
          expectedInode = null;
        }
      }
      if (handle) {
        for (;;) {
          const { lines, end } = await readLinesAt(handle, pos, 5_000);
          if (lines.length === 0) break;
          pos = end;
          yield lines;
          if (signal.aborted) return;
        }
        const now = await fs.promises.lstat(file).catch(() => null);
        const size = (await handle.stat()).size;
        if (now && now.ino !== inode) {
          // Rotated: the old file is read to its end (done above, and once more for a last write), then the new one.
          const { lines } = await readLinesAt(handle, pos, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
          if (lines.length > 0) yield lines;
          await handle.close();
          handle = null;
          pos = 0;
          continue;
        }
        if (size < pos) pos = 0; // truncated
      }
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          watch.retry();
          resolve();
        }, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        if (changed || signal.aborted) wake();
      });
      wake = null;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    watch.stop();
    await handle?.close().catch(() => {});
  }
}
