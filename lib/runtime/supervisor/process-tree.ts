import "server-only";
import fs from "node:fs";
import { FORWARDER_NAME } from "../sandbox-forwarder";

/** Each process's parent, from /proc (pid → ppid). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return map;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      map.set(Number(entry), ppid);
    } catch {
      /* gone meanwhile */
    }
  }
  return map;
}

/** Every process below `root` (not `root` itself), parents before children. */
export function descendants(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The command name of a process (its `comm`), or null when it is gone. */
export function commandName(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return null;
  }
}

/**
 * The first process of a sandbox that is neither bubblewrap's own (bwrap's outer process, then its
 * init in the new PID namespace, then the sandbox's main process) nor its port forwarder (which
 * bwrap's init adopts beside the main process): the one to send SIGTERM to.
 */
export function sandboxMainProcess(outerPid: number): number | null {
  return descendants(outerPid).find((pid) => !NOT_MAIN.has(commandName(pid) ?? "")) ?? null;
}
const NOT_MAIN = new Set(["bwrap", FORWARDER_NAME]);

/** Memory of a set of processes: resident bytes, and proportional (shared pages divided among their users). */
export function processesMemory(pids: readonly number[]): { rssBytes: number; pssBytes: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      rss += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0) * 1024;
      pss += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0) * 1024;
    } catch {
      /* gone, or not ours to read */
    }
  }
  return { rssBytes: rss, pssBytes: pss };
}

/** When a process started (clock ticks after boot, /proc/<pid>/stat's 22nd field), or null when it is gone: with its pid, it names one process even when the pid is used again. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}
