import "server-only";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env as appEnv } from "@/lib/env";

/**
 * Memory and process limits for all of a hook's processes together, through a cgroup the
 * hook joins before it starts (cgroup v2 where the server's cgroup delegates the memory and
 * pids controllers; else the v1 memory and pids hierarchies where they are writable). Where
 * neither works, run-hook falls back to per-process rlimits.
 *
 * Each hook gets `<parent>/<server pid>-<n>`; the parent is named after DATA_DIR, so a
 * restarted server finds what a dead one left and kills it (sweepHookCgroups).
 */
export interface HookCgroup {
  /** The cgroup.procs files the hook's first process writes its pid into. */
  procsFiles: string[];
  /** What the limits stopped, read after the hook ended. */
  events(): { oomKills: number; pidsRefused: number };
  /** Kills every process in the cgroup (it stays, for events()). */
  kill(): void;
  /** Kills whatever is left in the cgroup and removes it. */
  remove(): void;
}

type Layout = { version: 2; dirs: { all: string } } | { version: 1; dirs: { memory: string; pids: string } };
let layout: Layout | null | undefined;
let seq = 0;

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

/** Tries to make the parent cgroup(s) and move a throwaway process into a child: only then are cgroups used. */
function detect(): Layout | null {
  if (process.platform !== "linux") return null;
  let own: Map<string, string>;
  try {
    own = ownCgroupPaths();
  } catch {
    return null;
  }
  const candidates: Layout[] = [];
  const unified = own.get("unified");
  if (unified !== undefined && fs.existsSync("/sys/fs/cgroup/cgroup.controllers")) {
    candidates.push({ version: 2, dirs: { all: path.join("/sys/fs/cgroup", unified, parentName()) } });
  }
  const memory = own.get("memory");
  const pids = own.get("pids");
  if (memory !== undefined && pids !== undefined && fs.existsSync("/sys/fs/cgroup/memory") && fs.existsSync("/sys/fs/cgroup/pids")) {
    candidates.push({ version: 1, dirs: { memory: path.join("/sys/fs/cgroup/memory", memory, parentName()), pids: path.join("/sys/fs/cgroup/pids", pids, parentName()) } });
  }
  for (const candidate of candidates) {
    try {
      for (const dir of Object.values(candidate.dirs)) fs.mkdirSync(dir, { recursive: true });
      if (candidate.version === 2) {
        const enabled = fs.readFileSync(path.join(candidate.dirs.all, "cgroup.subtree_control"), "utf8");
        if (!/\bmemory\b/.test(enabled) || !/\bpids\b/.test(enabled)) fs.writeFileSync(path.join(candidate.dirs.all, "cgroup.subtree_control"), "+memory +pids");
      }
      const probe = create(candidate, 64 * 1024 * 1024, 16, `${process.pid}-probe`);
      const joined = spawnSync("/bin/sh", ["-c", 'for f in "$@"; do echo $$ > "$f" || exit 1; done', "sh", ...probe.procsFiles], { stdio: "ignore", timeout: 5000 });
      probe.remove();
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

function readCounter(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, "m").exec(fs.readFileSync(file, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function killAll(dir: string) {
  try {
    if (fs.existsSync(path.join(dir, "cgroup.kill"))) write(path.join(dir, "cgroup.kill"), "1");
  } catch {
    /* fall through to the per-process kill */
  }
  for (let round = 0; round < 20; round++) {
    let pids: number[];
    try {
      pids = fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
}

function removeDir(dir: string) {
  killAll(dir);
  for (let i = 0; i < 50; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY") return;
      killAll(dir);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a killed process takes a moment to leave
    }
  }
}

function create(l: Layout, memoryBytes: number, maxProcesses: number, name: string): HookCgroup {
  // The parent again: another server sweeping empty parents may have just removed it.
  for (const parent of Object.values(l.dirs)) fs.mkdirSync(parent, { recursive: true });
  if (l.version === 2) {
    const dir = path.join(l.dirs.all, name);
    fs.mkdirSync(dir);
    try {
      write(path.join(dir, "memory.max"), String(memoryBytes));
      if (fs.existsSync(path.join(dir, "memory.swap.max"))) write(path.join(dir, "memory.swap.max"), "0");
      write(path.join(dir, "pids.max"), String(maxProcesses));
    } catch (e) {
      removeDir(dir);
      throw e;
    }
    return {
      procsFiles: [path.join(dir, "cgroup.procs")],
      events: () => ({ oomKills: readCounter(path.join(dir, "memory.events"), "oom_kill"), pidsRefused: readCounter(path.join(dir, "pids.events"), "max") }),
      kill: () => killAll(dir),
      remove: () => removeDir(dir),
    };
  }
  const memory = path.join(l.dirs.memory, name);
  const pids = path.join(l.dirs.pids, name);
  fs.mkdirSync(memory);
  try {
    fs.mkdirSync(pids);
    write(path.join(memory, "memory.limit_in_bytes"), String(memoryBytes));
    if (fs.existsSync(path.join(memory, "memory.memsw.limit_in_bytes"))) write(path.join(memory, "memory.memsw.limit_in_bytes"), String(memoryBytes));
    write(path.join(pids, "pids.max"), String(maxProcesses));
  } catch (e) {
    removeDir(pids);
    removeDir(memory);
    throw e;
  }
  return {
    procsFiles: [path.join(memory, "cgroup.procs"), path.join(pids, "cgroup.procs")],
    events: () => ({ oomKills: readCounter(path.join(memory, "memory.oom_control"), "oom_kill"), pidsRefused: readCounter(path.join(pids, "pids.events"), "max") }),
    kill: () => {
      killAll(memory);
      killAll(pids);
    },
    remove: () => {
      removeDir(memory);
      removeDir(pids);
    },
  };
}

/** Tests only: use no cgroups (per-process rlimits), as on a machine where none is writable; undefined detects again. */
export function disableCgroupsForTesting(disabled: boolean): void {
  layout = disabled ? null : undefined;
}

/** Whether hooks' memory and processes are limited together (a cgroup) rather than per process. */
export function cgroupsAvailable(): boolean {
  layout ??= detect();
  return layout !== null;
}

/** A fresh cgroup for one hook, or null where cgroups cannot be used. */
export function createHookCgroup(memoryBytes: number, maxProcesses: number): HookCgroup | null {
  if (!cgroupsAvailable()) return null;
  try {
    return create(layout!, memoryBytes, maxProcesses, `${process.pid}-${++seq}`);
  } catch {
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

/** At start: kills the processes of hooks whose server died (cgroups named after a pid that is gone) and removes the cgroups. */
export function sweepHookCgroups(): number {
  if (!cgroupsAvailable()) return 0;
  let swept = 0;
  for (const parent of Object.values(layout!.dirs)) {
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
      removeDir(path.join(parent, entry.name));
      swept++;
    }
    // Parents of other data directories that hold no hook now (they are made again when needed).
    for (const sibling of fs.readdirSync(path.dirname(parent))) {
      if (sibling.startsWith("pwi-hooks-") && sibling !== path.basename(parent)) {
        try {
          fs.rmdirSync(path.join(path.dirname(parent), sibling));
        } catch {
          /* in use */
        }
      }
    }
  }
  return swept;
}
