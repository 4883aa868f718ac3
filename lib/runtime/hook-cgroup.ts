import "server-only";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { env as appEnv } from "@/lib/env";

/**
 * Memory, process and CPU limits for all of a hook's processes together, through a cgroup the
 * hook joins before it starts (cgroup v2 where the server's cgroup delegates the memory and
 * pids controllers, and cpu where it can; else the v1 memory and pids hierarchies where they
 * are writable, with the cpu one (and cpuacct, to count) where it is). Where neither works,
 * run-hook falls back to per-process rlimits, and the CPU is not limited.
 *
 * Each hook gets `<parent>/<server pid>-<n>`; the parent is named after DATA_DIR, so a
 * restarted server finds what a dead one left and kills it (sweepHookCgroups).
 */
export interface HookCgroup {
  /** The cgroup.procs files the hook's first process writes its pid into. */
  procsFiles: string[];
  /** What the limits stopped and what the hook used, read after the hook ended. */
  events(): HookCgroupEvents;
  /** Kills every process in the cgroup (it stays, for events()), then lifts its CPU limit so the killed exit at once. */
  kill(): void;
  /** Kills whatever is left in the cgroup and removes it (waiting without blocking while killed processes leave). */
  remove(): Promise<void>;
}

export interface HookCgroupEvents {
  oomKills: number;
  pidsRefused: number;
  /** CPU time the hook's processes used, in microseconds (null where no cgroup counts it). */
  cpuMicros: number | null;
  /** Scheduler periods (100 ms) in which the CPU limit held the hook back. */
  throttledPeriods: number;
}

export interface CgroupLimits {
  memoryBytes: number;
  maxProcesses: number;
  /** Cores' worth of CPU time (HOOK_CPUS): a quota of cpus × PERIOD per PERIOD. */
  cpus: number;
}

type Layout =
  | { version: 2; cpu: boolean; dirs: { all: string } }
  | { version: 1; cpu: boolean; dirs: { memory: string; pids: string; cpu?: string; cpuacct?: string } };
let layout: Layout | null | undefined;
let seq = 0;

/** The CFS period: a hook uses at most cpus × 100 ms of CPU time in each 100 ms. */
const PERIOD_US = 100_000;
/** The kernel's smallest quota. */
const MIN_QUOTA_US = 1000;

function ownCgroupPaths(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of fs.readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, controllers, rel] = line.split(":");
    if (controllers === undefined || rel === undefined) continue;
    for (const c of controllers.split(",")) map.set(c === "" ? "unified" : c, rel);
  }
  return map;
}

function parentName(): string {
  return `pwi-hooks-${crypto.createHash("sha256").update(appEnv().dataDir).digest("hex").slice(0, 12)}`;
}

/** The v1 hierarchy of a controller, if mounted at /sys/fs/cgroup/<controller> (a link where co-mounted, as cpu,cpuacct). */
function v1Root(controller: string): string | null {
  try {
    return fs.realpathSync(path.join("/sys/fs/cgroup", controller));
  } catch {
    return null;
  }
}

/** The candidate layouts, best first: each with the cpu controller, then without it. */
function candidates(own: Map<string, string>): Layout[] {
  const list: Layout[] = [];
  const unified = own.get("unified");
  if (unified !== undefined && fs.existsSync("/sys/fs/cgroup/cgroup.controllers")) {
    const all = path.join("/sys/fs/cgroup", unified, parentName());
    list.push({ version: 2, cpu: true, dirs: { all } }, { version: 2, cpu: false, dirs: { all } });
  }
  const memory = own.get("memory");
  const pids = own.get("pids");
  const [memoryRoot, pidsRoot] = [v1Root("memory"), v1Root("pids")];
  if (memory !== undefined && pids !== undefined && memoryRoot && pidsRoot) {
    const base = { memory: path.join(memoryRoot, memory, parentName()), pids: path.join(pidsRoot, pids, parentName()) };
    const cpu = own.get("cpu");
    const cpuRoot = v1Root("cpu");
    if (cpu !== undefined && cpuRoot) {
      const cpuDir = path.join(cpuRoot, cpu, parentName());
      // cpuacct counts the CPU time; co-mounted with cpu (one directory), it needs no joining of its own.
      const acct = own.get("cpuacct");
      const acctRoot = v1Root("cpuacct");
      const cpuacct = acct !== undefined && acctRoot && acctRoot !== cpuRoot ? { cpuacct: path.join(acctRoot, acct, parentName()) } : {};
      list.push({ version: 1, cpu: true, dirs: { ...base, cpu: cpuDir, ...cpuacct } });
    }
    list.push({ version: 1, cpu: false, dirs: base });
  }
  return list;
}

/** cgroup v2: the controllers the hooks' cgroups need, enabled for the children of `parent` (v1: nothing to do). */
function enableControllers(l: Layout, parent: string) {
  if (l.version !== 2) return;
  const control = path.join(parent, "cgroup.subtree_control");
  const wanted = l.cpu ? ["memory", "pids", "cpu"] : ["memory", "pids"];
  const enabled = fs.readFileSync(control, "utf8");
  const missing = wanted.filter((c) => !new RegExp(`\\b${c}\\b`).test(enabled));
  if (missing.length > 0) fs.writeFileSync(control, missing.map((c) => `+${c}`).join(" "));
}

/** Tries to make the parent cgroup(s) and move a throwaway process into a child: only then are cgroups used. */
function detect(): Layout | null {
  if (process.platform !== "linux") return null;
  let own: Map<string, string>;
  try {
    own = ownCgroupPaths();
  } catch {
    return null;
  }
  for (const candidate of candidates(own)) {
    try {
      for (const dir of Object.values(candidate.dirs)) fs.mkdirSync(dir, { recursive: true });
      if (candidate.version === 2) enableControllers(candidate, candidate.dirs.all);
      const probe = createSync(candidate, { memoryBytes: 64 * 1024 * 1024, maxProcesses: 16, cpus: 1 }, `${process.pid}-probe`);
      const joined = spawnSync("/bin/sh", ["-c", 'for f in "$@"; do echo $$ > "$f" || exit 1; done', "sh", ...probe.procsFiles], { stdio: "ignore", timeout: 5000 });
      removeDirSync(probe.dirs);
      if (joined.status === 0) return candidate;
    } catch {
      /* not writable here: try the next kind, else rlimits */
    }
  }
  return null;
}

function write(file: string, value: string) {
  fs.writeFileSync(file, value);
}

function readCounter(file: string, key: string): number | null {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, "m").exec(fs.readFileSync(file, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function readNumber(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function pidsIn(dir: string): number[] | null {
  try {
    return fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return null;
  }
}

/**
 * One round of SIGKILL to every process in the cgroups (one hook's, one per hierarchy): by
 * cgroup.kill where there is one (v2: all at once, forks in flight too), else pid by pid.
 * Killed processes stay listed until they have exited, so the rounds that follow a kill
 * (removeDirs) are spaced out rather than repeated at once. False when they were empty.
 */
function signalAll(dirs: readonly string[]): boolean {
  const pids = new Set<number>();
  for (const dir of dirs) {
    try {
      if (fs.existsSync(path.join(dir, "cgroup.kill"))) {
        write(path.join(dir, "cgroup.kill"), "1");
        continue;
      }
    } catch {
      /* fall through to the per-process kill */
    }
    for (const pid of pidsIn(dir) ?? []) pids.add(pid);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  return pids.size > 0;
}

/** Removes the cgroups that are empty; true when none is left (ENOENT: gone already; other errors: nothing more to do). */
function tryRemove(dirs: string[]): boolean {
  signalAll(dirs);
  for (const dir of [...dirs]) {
    try {
      fs.rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EBUSY") continue;
    }
    dirs.splice(dirs.indexOf(dir), 1);
  }
  return dirs.length === 0;
}

/** At start (sweepHookCgroups) and for the probe: waits on this thread, nothing else runs yet. */
function removeDirSync(dirs: readonly string[]) {
  const left = [...dirs];
  for (let i = 0; i < 50 && !tryRemove(left); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

/**
 * Kills what is left and removes the cgroups, waiting (on timers) while killed processes leave:
 * at most about 2 s. The removal is tried first, off the server's thread (the kernel takes about
 * a millisecond to remove a cgroup, a hundred times at each minute boundary of a hundred crons):
 * a hook's cgroup is empty by then (runHook killed it), and one that is not is killed and tried again.
 */
async function removeDirs(dirs: readonly string[]) {
  const left = [...dirs];
  for (let i = 0; i < 200; i++) {
    if (i > 0) {
      await new Promise((r) => setTimeout(r, 10));
      signalAll(left);
    }
    for (const dir of [...left]) {
      try {
        await fsp.rmdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EBUSY") continue;
      }
      left.splice(left.indexOf(dir), 1);
    }
    if (left.length === 0) return;
  }
}

function quota(cpus: number): number {
  return Math.max(MIN_QUOTA_US, Math.round(cpus * PERIOD_US));
}

type Made = HookCgroup & { dirs: string[] };

/** A control file a new cgroup is given: skipped where the kernel has no such file (`ifPresent`), a refusal ignored where another limit holds (`mayRefuse`). */
interface Setting {
  file: string;
  value: string;
  ifPresent?: boolean;
  mayRefuse?: boolean;
}

/** What making a hook's cgroup takes: its directories, its settings, and the cgroup once they are written. */
function plan(l: Layout, limits: CgroupLimits, name: string): { parents: string[]; dirs: string[]; settings: Setting[]; made: Made } {
  const parents = Object.values(l.dirs);
  const dirs = parents.map((parent) => path.join(parent, name));
  return l.version === 2 ? { parents, dirs, ...planV2(dirs[0]!, l.cpu, limits) } : { parents, dirs, ...planV1(l, name, dirs, limits) };
}

/** For the probe (detect), before anything else runs: on this thread. */
function createSync(l: Layout, limits: CgroupLimits, name: string): Made {
  const { parents, dirs, settings, made } = plan(l, limits, name);
  for (const parent of parents) fs.mkdirSync(parent, { recursive: true });
  const done: string[] = [];
  try {
    for (const dir of dirs) {
      fs.mkdirSync(dir);
      done.push(dir);
    }
    for (const s of settings) {
      if (s.ifPresent && !fs.existsSync(s.file)) continue;
      try {
        fs.writeFileSync(s.file, s.value);
      } catch (e) {
        if (!s.mayRefuse) throw e;
      }
    }
    return made;
  } catch (e) {
    removeDirSync(done);
    throw e;
  }
}

/**
 * For each hook, cron and service: off the server's thread (writing a v1 CPU quota waits in the
 * kernel for milliseconds, which a hundred crons in one minute would take from every request).
 */
async function create(l: Layout, limits: CgroupLimits, name: string): Promise<Made> {
  const { parents, dirs, settings, made } = plan(l, limits, name);
  const done: string[] = [];
  try {
    for (const [i, dir] of dirs.entries()) {
      // The parent again: another server sweeping empty parents may remove it meanwhile (then once more).
      for (let attempt = 0; ; attempt++) {
        // Made again (after a sweep removed it while empty): its children's controllers with it.
        if ((await fsp.mkdir(parents[i]!, { recursive: true })) !== undefined) enableControllers(l, parents[i]!);
        try {
          await fsp.mkdir(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 2) throw e;
        }
      }
      done.push(dir);
    }
    for (const s of settings) {
      // (Checked first: cgroupfs answers a write to a file it lacks with EACCES, not ENOENT.)
      if (s.ifPresent && !(await fsp.access(s.file).then(() => true, () => false))) continue;
      try {
        await fsp.writeFile(s.file, s.value);
      } catch (e) {
        if (!s.mayRefuse) throw e;
      }
    }
    return made;
  } catch (e) {
    await removeDirs(done);
    throw e;
  }
}

function planV2(dir: string, cpu: boolean, limits: CgroupLimits): { settings: Setting[]; made: Made } {
  const settings: Setting[] = [
    { file: path.join(dir, "memory.max"), value: String(limits.memoryBytes) },
    { file: path.join(dir, "memory.swap.max"), value: "0", ifPresent: true },
    { file: path.join(dir, "pids.max"), value: String(limits.maxProcesses) },
    ...(cpu ? [{ file: path.join(dir, "cpu.max"), value: `${quota(limits.cpus)} ${PERIOD_US}` }] : []),
  ];
  const stat = path.join(dir, "cpu.stat");
  return {
    settings,
    made: {
      dirs: [dir],
      procsFiles: [path.join(dir, "cgroup.procs")],
      events: () => ({
        oomKills: readCounter(path.join(dir, "memory.events"), "oom_kill") ?? 0,
        pidsRefused: readCounter(path.join(dir, "pids.events"), "max") ?? 0,
        cpuMicros: readCounter(stat, "usage_usec"),
        throttledPeriods: readCounter(stat, "nr_throttled") ?? 0,
      }),
      kill: () => {
        signalAll([dir]);
        if (cpu) liftCpuLimitLater(path.join(dir, "cpu.max"), "max");
      },
      remove: () => removeDirs([dir]),
    },
  };
}

function planV1(l: Extract<Layout, { version: 1 }>, name: string, dirs: string[], limits: CgroupLimits): { settings: Setting[]; made: Made } {
  const at = (parent: string | undefined) => (parent === undefined ? undefined : path.join(parent, name));
  const memory = at(l.dirs.memory)!;
  const pids = at(l.dirs.pids)!;
  const cpu = at(l.dirs.cpu);
  const cpuacct = at(l.dirs.cpuacct);
  const settings: Setting[] = [
    { file: path.join(memory, "memory.limit_in_bytes"), value: String(limits.memoryBytes) },
    { file: path.join(memory, "memory.memsw.limit_in_bytes"), value: String(limits.memoryBytes), ifPresent: true },
    { file: path.join(pids, "pids.max"), value: String(limits.maxProcesses) },
    ...(cpu
      ? [
          { file: path.join(cpu, "cpu.cfs_period_us"), value: String(PERIOD_US) },
          // More than the server's own cgroup may use (v1 refuses it): that smaller quota holds the hook instead.
          { file: path.join(cpu, "cpu.cfs_quota_us"), value: String(quota(limits.cpus)), mayRefuse: true },
        ]
      : []),
  ];
  const usage = cpuacct ?? cpu; // (cpuacct.usage, in ns: in its own hierarchy, or in cpu's where the two are mounted together)
  const usageMicros = () => {
    const ns = usage ? readNumber(path.join(usage, "cpuacct.usage")) : null;
    return ns === null ? null : Math.round(ns / 1000);
  };
  return {
    settings,
    made: {
      dirs,
      procsFiles: dirs.map((d) => path.join(d, "cgroup.procs")),
      events: () => ({
        oomKills: readCounter(path.join(memory, "memory.oom_control"), "oom_kill") ?? 0,
        pidsRefused: readCounter(path.join(pids, "pids.events"), "max") ?? 0,
        cpuMicros: usageMicros(),
        throttledPeriods: cpu ? (readCounter(path.join(cpu, "cpu.stat"), "nr_throttled") ?? 0) : 0,
      }),
      kill: () => {
        signalAll(dirs);
        if (cpu) liftCpuLimitLater(path.join(cpu, "cpu.cfs_quota_us"), "-1");
      },
      remove: () => removeDirs(dirs),
    },
  };
}

function liftCpuLimit(file: string, unlimited: string) {
  try {
    write(file, unlimited);
  } catch {
    /* removed already */
  }
}

/** As liftCpuLimit, off the server's thread (the kernel takes milliseconds to change a quota). */
function liftCpuLimitLater(file: string, unlimited: string) {
  fsp.writeFile(file, unlimited).catch(() => undefined /* removed already */);
}

/** Tests only: use no cgroups (per-process rlimits), as on a machine where none is writable; false detects again. */
export function disableCgroupsForTesting(disabled: boolean): void {
  layout = disabled ? null : undefined;
}

/** Whether hooks' memory and processes are limited together (a cgroup) rather than per process. */
/** Tests only: this data directory's hook parents (one per hierarchy), once cgroups are available. */
export function hookCgroupParentsForTests(): string[] {
  return cgroupsAvailable() ? Object.values(layout!.dirs) : [];
}

export function cgroupsAvailable(): boolean {
  if (layout === undefined) layout = detect(); // (null: detected, none works; `??=` would probe again at every hook)
  return layout !== null;
}

/** Whether hooks' CPU is limited (HOOK_CPUS): only by a cgroup with the cpu controller. */
export function cpuLimitAvailable(): boolean {
  return cgroupsAvailable() && layout!.cpu;
}

/** A fresh cgroup for one hook, or null where cgroups cannot be used. */
export async function createHookCgroup(limits: CgroupLimits): Promise<HookCgroup | null> {
  if (!cgroupsAvailable()) return null;
  try {
    return await create(layout!, limits, `${process.pid}-${++seq}`);
  } catch (e) {
    // Its processes are then limited one by one (rlimits): said, as it holds less.
    console.error(`[hooks] a cgroup could not be made (${e instanceof Error ? e.message : String(e)}): this run's processes are limited one by one instead.`);
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * At start: kills the processes of hooks whose server died (cgroups named after a pid that is
 * gone) and removes their cgroups, under this data directory's parent and under the parents of
 * other data directories (a test run's, a server's moved elsewhere); those parents are removed
 * once empty (they are made again when needed).
 */
export function sweepHookCgroups(): number {
  if (!cgroupsAvailable()) return 0;
  const swept = new Set<string>(); // one hook has a cgroup in each hierarchy
  for (const own of Object.values(layout!.dirs)) {
    const root = path.dirname(own);
    let parents: string[];
    try {
      parents = fs.readdirSync(root).filter((name) => name.startsWith("pwi-hooks-"));
    } catch {
      continue;
    }
    for (const name of parents) {
      const parent = path.join(root, name);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(parent, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        if (!entry.isDirectory()) continue;
        const owner = Number(entry.name.split("-")[0]);
        if (!Number.isInteger(owner) || owner === process.pid || isAlive(owner)) continue;
        const dir = path.join(parent, entry.name);
        for (const file of ["cpu.max", "cpu.cfs_quota_us"]) if (fs.existsSync(path.join(/* turbopackIgnore: true */ dir, file))) liftCpuLimit(path.join(/* turbopackIgnore: true */ dir, file), file === "cpu.max" ? "max" : "-1");
        removeDirSync([dir]);
        swept.add(`${name}/${entry.name}`);
      }
      if (parent === own) continue;
      try {
        fs.rmdirSync(parent);
      } catch {
        /* in use */
      }
    }
  }
  return swept.size;
}
