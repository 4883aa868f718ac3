import "server-only";
import fs from "node:fs";
import { childProcessEnv } from "@/lib/env";
import { runFile } from "@/lib/process-runner";

/**
 * The disk limit of a hook: a watchdog, because a sized file system per environment needs
 * root and loop devices, and project quotas a file system prepared for them. While the hook
 * runs, the blocks its writable folders use are measured (`du`, which follows no link and
 * stays on one file system), and the free space of the file system holding them is read;
 * the hook is stopped when it passes `limitBytes`, or when fewer than FREE_FLOOR_BYTES are
 * left for everything else on the machine. A measurement runs every MIN_INTERVAL_MS (or five
 * times as long as the last one took: a folder of 100,000 files takes ~1 s), and at once when
 * the file system's free space, read every FREE_CHECK_MS, fell by more than the hook had left
 * of its limit. Its precision is what the hook can write in about FREE_CHECK_MS plus one
 * measurement; together with a file-size limit equal to `limitBytes` (RLIMIT_FSIZE, set by
 * run-hook), one file can never pass it.
 */
export interface DiskWatch {
  /** Stops watching after one last measurement (a hook that ended past its limit fails too). */
  stop(): Promise<void>;
  /** Why the hook was stopped, when it was. */
  verdict(): DiskVerdict | null;
}

export type DiskVerdict = { reason: "limit"; usedBytes: number; limitBytes: number } | { reason: "machine"; freeBytes: number };

/** Below this much free space on the data's file system, a hook is stopped whatever its limit. */
export const FREE_FLOOR_BYTES = 256 * 1024 * 1024;
const MIN_INTERVAL_MS = 1000;
const FREE_CHECK_MS = 100;

/** Blocks used beneath `dirs` (du -s -B1 -x: allocated blocks, not the sizes of sparse files), 0 for a folder that is gone. */
export async function usedBytes(dirs: readonly string[], niceness?: number): Promise<number> {
  const present = dirs.filter((d) => fs.existsSync(d));
  if (present.length === 0) return 0;
  const du = ["du", "-s", "-B1", "-x", "-c", "--", ...present];
  const [file, ...args] = niceness ? ["nice", "-n", String(niceness), ...du] : du;
  const r = await runFile(file!, args, { env: childProcessEnv({ LC_ALL: "C" }) });
  const total = /^(\d+)\s+total$/m.exec(r.stdout);
  return total ? Number(total[1]) : 0;
}

/**
 * Everyone watching one file system's free space hears one reading every FREE_CHECK_MS: a
 * hundred running environments cost one statfs each time, not a hundred. A watcher joins with
 * the first of its folders that is a folder (lstat: a link is not followed to another file
 * system), keyed by that folder's device; until one exists it tries again at each turn. The
 * reading moves to another member's folder of the same device when its own one is gone.
 */
const freeSpaceWatches = new Map<number, { dir: string; listeners: Map<(free: number) => void, string>; timer: NodeJS.Timeout }>();

function watchFreeSpace(dirs: readonly string[], listener: (free: number) => void): () => void {
  let joined: number | null = null;
  const join = (): boolean => {
    for (const dir of dirs) {
      const st = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (!st?.isDirectory()) continue;
      const dev = st.dev;
      let watch = freeSpaceWatches.get(dev);
      if (!watch) {
        const w = { dir, listeners: new Map<(free: number) => void, string>(), timer: setInterval(() => read(w), FREE_CHECK_MS) };
        w.timer.unref();
        freeSpaceWatches.set(dev, w);
        watch = w;
      }
      watch.listeners.set(listener, dir);
      joined = dev;
      return true;
    }
    return false;
  };
  const read = (w: { dir: string; listeners: Map<(free: number) => void, string> }) =>
    fs.statfs(w.dir, (err, st) => {
      if (err) w.dir = [...w.listeners.values()].find((d) => fs.lstatSync(d, { throwIfNoEntry: false })?.isDirectory()) ?? w.dir;
      else for (const l of [...w.listeners.keys()]) l(st.bavail * st.bsize);
    });
  let retry: NodeJS.Timeout | null = null;
  if (!join()) {
    retry = setInterval(() => {
      if (join()) clearInterval(retry!);
    }, FREE_CHECK_MS);
    retry.unref();
  }
  return () => {
    if (retry) clearInterval(retry);
    const watch = joined === null ? undefined : freeSpaceWatches.get(joined);
    if (!watch) return;
    watch.listeners.delete(listener);
    if (watch.listeners.size === 0) {
      clearInterval(watch.timer);
      freeSpaceWatches.delete(joined!);
    }
  };
}

export function watchDisk(options: {
  dirs: readonly string[];
  limitBytes: number | null;
  onExceeded: (verdict: DiskVerdict) => void;
  freeFloorBytes?: number;
  /** Background work's (a cron's): its measurements run at its niceness too. */
  niceness?: number;
}): DiskWatch {
  const floor = options.freeFloorBytes ?? FREE_FLOOR_BYTES;
  let verdict: DiskVerdict | null = null;
  let stopped = false;
  let measuring: Promise<void> = Promise.resolve();
  let sizeTimer: NodeJS.Timeout | null = null;
  const exceed = (v: DiskVerdict) => {
    if (verdict || stopped) return;
    verdict = v;
    options.onExceeded(v);
  };
  // What the last measurement found, and the file system's free space then: free space is read
  // every FREE_CHECK_MS (one statfs, no process), and when it fell by more than the hook has left
  // of its limit, the hook is measured at once instead of at its next turn.
  let lastUsed = 0;
  let freeAtLast: number | null = null;
  let running = false;
  const unwatchFree = watchFreeSpace(options.dirs, (free) => {
    if (free < floor) exceed({ reason: "machine", freeBytes: free });
    else if (options.limitBytes !== null && freeAtLast !== null && freeAtLast - free > options.limitBytes - lastUsed && !running) {
      if (sizeTimer) clearTimeout(sizeTimer);
      measure();
    }
  });
  const measure = () => {
    if (stopped || verdict || options.limitBytes === null) return;
    const started = Date.now();
    running = true;
    const dir = options.dirs.find((d) => fs.existsSync(d));
    const freeBefore = dir ? fs.promises.statfs(dir).then((s) => s.bavail * s.bsize).catch(() => null) : Promise.resolve(null);
    measuring = Promise.all([usedBytes(options.dirs, options.niceness), freeBefore])
      .then(([used, free]) => {
        lastUsed = used;
        freeAtLast = free;
        if (used > options.limitBytes!) exceed({ reason: "limit", usedBytes: used, limitBytes: options.limitBytes! });
      })
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (stopped || verdict) return;
        sizeTimer = setTimeout(measure, Math.max(MIN_INTERVAL_MS, 5 * (Date.now() - started)));
        sizeTimer.unref();
      });
  };
  measure();
  return {
    async stop() {
      stopped = true;
      unwatchFree();
      if (sizeTimer) clearTimeout(sizeTimer);
      await measuring;
      // A last measurement: a hook that ended past its limit between two measurements fails too.
      if (!verdict && options.limitBytes !== null) {
        const used = await usedBytes(options.dirs, options.niceness).catch(() => 0);
        if (used > options.limitBytes) verdict = { reason: "limit", usedBytes: used, limitBytes: options.limitBytes };
      }
    },
    verdict: () => verdict,
  };
}

/** The log line for a verdict, naming the limit and where it is set. */
export function describeDiskVerdict(name: string, v: DiskVerdict): string {
  const mib = (b: number) => `${Math.round(b / 1024 / 1024)} MiB`;
  return v.reason === "limit"
    ? `${name} wrote more than its disk allows: ${mib(v.usedBytes)} used of ${mib(v.limitBytes)} (disk: ${Math.round(v.limitBytes / 1024 / 1024)} in .magento.app.yaml), and was stopped with every process it started.`
    : `${name} was stopped: the machine's disk has only ${mib(v.freeBytes)} free (a hook may never leave less than ${mib(FREE_FLOOR_BYTES)}).`;
}
