/**
 * The access lines of requests the router's nginx front passed straight to an environment
 * (router-front.ts): nginx appends one JSON object per request to `<project>.<environment>.log`
 * in a spool folder only this process and nginx write; this moves each line, in the router's own
 * format, into the environment's access.log (its rotation, the Logs tab's live view and download
 * stay the same). A spool file is read from where it was left, within a moment of each append
 * (a folder watch, and a look every 250 ms). Past 8 MiB it is renamed away and read to its end
 * 3 s later, after nginx (which checks its open log files every second) has gone on in a new one.
 * Lines over 16 KiB, or not of nginx's format, are skipped; the file of an environment that no
 * longer has a deployment is removed with its lines, and so is anything else in the folder. A
 * restart starts with an empty spool (the lines of the moment before are lost, never doubled).
 */
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { appLogTarget } from "./driver/app-log-target";
import { routerTarget } from "./router-targets";

const SPOOL_FILE = /^([a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?)\.log$/;
const ROTATE_AT = 8 * 1024 * 1024;
const READ_AT_MOST = 4 * 1024 * 1024;
const MAX_LINE = 16 * 1024;
const RETIRE_AFTER_MS = 3_000;
const POLL_MS = 250;
const MAX_FILES = 2_000;

export type AccessWriter = (projectId: string, environmentName: string, line: string) => void;

export interface FrontLogSpool {
  /** Reads what is there now (tests wait for it). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** One of nginx's spool lines as an access.log line (time, method, path, status, duration, bytes, client), or null. Pure. */
export function accessLineOf(json: string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const { t, m, u, s, d, b, c } = v as Record<string, unknown>;
  if (typeof t !== "number" || typeof m !== "string" || typeof u !== "string" || typeof s !== "number" || typeof d !== "number" || typeof b !== "number" || typeof c !== "string") return null;
  const at = new Date(Math.round(t * 1000));
  if (Number.isNaN(at.getTime()) || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/.test(m)) return null;
  return `${at.toISOString()} ${m} ${JSON.stringify(u).slice(1, -1)} ${s} ${(d * 1000).toFixed(1)}ms ${b} ${c.replace(/^::ffff:/, "").slice(0, 64)}`;
}

const defaultWriter: AccessWriter = (projectId, environmentName, line) => appLogTarget(projectId, environmentName, "access").line(line);

/** Whether the environment has a deployment (its access lines are kept). */
const deployed = (projectId: string, environmentName: string) => routerTarget(projectId, environmentName).deployDir !== null;

export function startFrontLogSpool(dir: string, write: AccessWriter = defaultWriter, isLive: (projectId: string, environmentName: string) => boolean = deployed): FrontLogSpool {
  const offsets = new Map<string, { ino: bigint; offset: number; partial: string; skipping: boolean }>();
  const retiring: { file: string; site: [string, string]; offset: number; partial: string; at: number }[] = [];
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;

  const readFrom = async (file: string, site: [string, string], state: { offset: number; partial: string; skipping?: boolean }, untilEnd: boolean) => {
    const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW).catch(() => null);
    if (!handle) return;
    try {
      for (;;) {
        const { size } = await handle.stat();
        if (size < state.offset) state.offset = 0;
        if (size === state.offset) return;
        const length = Math.min(size - state.offset, READ_AT_MOST);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, state.offset);
        state.offset += bytesRead;
        const lines = (state.partial + buffer.toString("utf8", 0, bytesRead)).split("\n");
        state.partial = lines.pop() ?? "";
        for (const text of lines) {
          // (The rest of a line already found too long is skipped with it.)
          if (state.skipping) {
            state.skipping = false;
            continue;
          }
          if (text.length > MAX_LINE) continue;
          const line = accessLineOf(text);
          if (line) write(site[0], site[1], line);
        }
        if (state.partial.length > MAX_LINE) {
          state.partial = "";
          state.skipping = true;
        }
        // At most one chunk a pass (the next pass reads on), except for a retired file's last read.
        if (!untilEnd) return;
      }
    } finally {
      await handle.close();
    }
  };

  const drainOnce = async () => {
    const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
    const present = new Set(names);
    for (const name of offsets.keys()) if (!present.has(name)) offsets.delete(name);
    // A file per linked site (nginx writes only on its fast path); anything else is removed. At most MAX_FILES a pass.
    for (const name of names.slice(0, MAX_FILES)) {
      const m = SPOOL_FILE.exec(name);
      const file = path.join(dir, name);
      if (!m) {
        if (!retiring.some((r) => r.file === file)) await fs.promises.rm(file, { force: true, recursive: true });
        continue;
      }
      const stat = await fs.promises.lstat(file, { bigint: true }).catch(() => null);
      if (!stat?.isFile()) {
        await fs.promises.rm(file, { force: true, recursive: true });
        continue;
      }
      // An environment that is gone: its lines are dropped with the file (a later one of its name starts afresh).
      if (!isLive(m[1]!, m[2]!)) {
        await fs.promises.rm(file, { force: true });
        offsets.delete(name);
        continue;
      }
      let state = offsets.get(name);
      if (!state || state.ino !== stat.ino) offsets.set(name, (state = { ino: stat.ino, offset: 0, partial: "", skipping: false }));
      await readFrom(file, [m[1]!, m[2]!], state, false);
      if (state.offset >= ROTATE_AT) {
        const retired = path.join(dir, `.${name}.${Date.now()}.old`);
        await fs.promises.rename(file, retired).catch(() => undefined);
        retiring.push({ file: retired, site: [m[1]!, m[2]!], offset: state.offset, partial: state.partial, at: Date.now() + RETIRE_AFTER_MS });
        offsets.delete(name);
      }
    }
    for (const r of [...retiring]) {
      if (!stopped && r.at > Date.now()) continue;
      await readFrom(r.file, r.site, r, true);
      await fs.promises.rm(r.file, { force: true });
      retiring.splice(retiring.indexOf(r), 1);
    }
  };

  const drain = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await drainOnce().catch((err) => console.error("[router] The front's access lines could not be read:", (err as Error).message));
      } while (again && !stopped);
    })().finally(() => (running = null));
    return running;
  };

  // Polled, not watched: a folder watch wakes this process at every request nginx passes.
  const poll = setInterval(() => void drain(), POLL_MS);
  poll.unref();
  return {
    drain: async () => {
      await drain();
      if (running) await running;
    },
    stop: async () => {
      clearInterval(poll);
      await running;
      stopped = true;
      await drainOnce().catch(() => undefined);
    },
  };
}
