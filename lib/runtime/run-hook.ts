import "server-only";
import fs from "node:fs";
import path from "node:path";
import { childProcessEnv, env as appEnv } from "@/lib/env";
import { dataPaths } from "@/lib/paths";
import type { LogSink } from "./log-sink";
import { LineSplitter } from "./line-splitter";
import { describeDiskVerdict, watchDisk } from "./disk-watch";
import { createHookCgroup, sweepHookCgroups, type HookCgroup } from "./hook-cgroup";
import { hookSeccomp } from "./seccomp";
import { privateTempDir } from "./private-temp";
import { hookBaseEnv, SANDBOX_APP_DIR, sandboxSupport, unsandboxedWarning, type SandboxSpec } from "./sandbox";
import { SMTP_FORWARD } from "./mail-endpoint";
import { forwarderScript, WITH_FORWARDER } from "./sandbox-forwarder";
import { RunnerGone, runFileOrThrow, startProcess, type StartedProcess } from "@/lib/process-runner";
import { hasPerl, PRELUDE_PIPE_BYTES, sandboxedCommand, type SandboxedCommand } from "./sandbox-command";
import { processStartTime, sandboxMainProcess } from "./supervisor/process-tree";


/** The hooks of .magento.app.yaml (crons and operations will use the same runner). */
export type HookPhase = "build" | "deploy" | "post_deploy";

export interface HookLimits {
  timeoutMs: number;
  memoryBytes: number;
  maxProcesses: number;
  /** Cores' worth of CPU time (where a cgroup can limit it). */
  cpus: number;
}

export interface HookResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Which limit stopped the hook, when one did (also said in the log). */
  limit?: "time" | "memory" | "processes" | "disk";
  /** The hook was not started: HOOK_SANDBOX=required and no working sandbox (said in the log). */
  refused?: boolean;
  /** Why it was refused, a sentence (also in the log). */
  refusal?: string;
  /** CPU time its processes used, where a cgroup counted it. */
  cpuMs?: number;
}

const MIB = 1024 * 1024;

/** The limits of a hook of this phase, from the settings. */
export function hookLimits(phase: HookPhase): HookLimits {
  const config = appEnv();
  return {
    timeoutMs: (phase === "build" ? config.HOOK_BUILD_TIMEOUT : config.HOOK_DEPLOY_TIMEOUT) * 1000,
    memoryBytes: config.HOOK_MEMORY_MB * MIB,
    maxProcesses: config.HOOK_MAX_PROCESSES,
    cpus: config.HOOK_CPUS,
  };
}

function describeDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

/** "1 CPU", "0.5 CPU", "2 CPUs". */
export function describeCpus(cpus: number): string {
  return `${cpus} CPU${cpus > 1 ? "s" : ""}`;
}

/** Scheduler periods (100 ms each) the CPU limit must have held a hook back in before its log says so. */
const THROTTLED_PERIODS_WORTH_SAYING = 10;

/**
 * Runs one hook of the repository's .magento.app.yaml as a real process (`bash -c`, the
 * repository's own script) inside a bubblewrap sandbox (see sandbox.ts) under a seccomp filter
 * (seccomp.ts): it sees /app, its environment's writable directories and read-only system
 * directories, nothing of the server, and cannot make namespaces, mount, trace or load
 * kernel code. Its processes share one cgroup's memory, process and CPU limits where the
 * machine allows (else rlimits per process, and no CPU limit); a timeout or a cancel kills
 * all of them at once, and so does the end of the hook's main process: nothing outlives the
 * hook, and no process left holding its output keeps the activity running. Every stdout and
 * stderr line goes to the log, in order.
 */
export async function runHook(options: {
  script: string;
  phase: HookPhase;
  sandbox: SandboxSpec;
  /** The hook's own variables (MAGENTO_CLOUD_*); PATH, HOME, LANG and TZ are added. */
  env: Record<string, string>;
  log: LogSink;
  limits?: Partial<HookLimits>;
  /**
   * The folders the hook writes (the build's /app, a deploy's mounts) and the `disk` they may
   * use together (null: no limit of their own); watched while it runs (disk-watch.ts), with
   * no file larger than the limit (RLIMIT_FSIZE), and never leaving the machine's disk full.
   */
  disk?: { dirs: readonly string[]; limitBytes: number | null };
  signal?: AbortSignal;
  /** What the log calls it ("The deploy hook" unless said): the same runner copies a service's data. */
  name?: string;
  /**
   * At its time limit or a cancel: SIGTERM to its main process first, SIGKILL to everything after
   * this long (a cron's shutdown_timeout), each said in the log. Without it, SIGKILL at once.
   */
  stopGraceMs?: number;
  /**
   * Background work (a cron): its processes run at this niceness (`nice`), so they take the CPU
   * only when the sites and the console leave it (a hundred crons a minute on two cores); so do
   * the measurements of its disk (`du`).
   */
  niceness?: number;
  /** What the time limit is called in the log line when it is reached ("HOOK_DEPLOY_TIMEOUT" unless said). */
  timeoutSetting?: string;
}): Promise<HookResult> {
  const { log, phase } = options;
  const limits = { ...hookLimits(phase), ...options.limits };
  const name = options.name ?? `The ${phase.replace("_", " ")} hook`;
  const refuse = (reason: string): HookResult => {
    const refusal = `${name} was not run: HOOK_SANDBOX=required and ${reason}.`;
    log.line(refusal, "stderr");
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, refused: true, refusal };
  };
  const support = sandboxSupport();
  if (!support.ok) {
    if (appEnv().HOOK_SANDBOX === "required") return refuse(support.reason);
    log.line(unsandboxedWarning(support.reason), "stderr");
  }
  const seccomp = support.ok ? await hookSeccompWithPerl() : null;
  if (seccomp && !seccomp.ok) {
    if (appEnv().HOOK_SANDBOX === "required") return refuse(seccomp.reason);
    log.line(`Warning: this hook runs without its system-call filter (seccomp): ${seccomp.reason}. Set HOOK_SANDBOX=required to refuse hooks instead.`, "stderr");
  }
  // (Joining the cgroup is the prelude's first step: without perl there is none.)
  const cgroup = hasPerl() ? await createHookCgroup(limits) : null;
  const home = support.ok ? SANDBOX_APP_DIR : options.sandbox.appDir;
  let out: HookPipe | undefined;
  let child: StartedProcess;
  try {
    // One pipe for stdout and stderr: the log keeps the order in which the hook wrote, whichever
    // stream it used (two pipes are read in whatever order the reads happen to come back).
    out = await openPipe();
    const filter = seccomp?.ok ? seccomp.file : null;
    const command = hookCommand(options.script, { ...options.env, ...hookBaseEnv(home) }, support.ok ? { bwrap: support.bwrap, seccomp: filter } : null, options.sandbox, limits, cgroup, options.disk?.limitBytes ?? null);
    // Started by the process runner: forking this process would hold its thread for 10-20 ms.
    const [file, args] = options.niceness ? ["nice", ["-n", String(options.niceness), command.file, ...command.args]] : [command.file, command.args];
    child = await startProcess(file, args, { cwd: options.sandbox.appDir, env: command.env as unknown as NodeJS.ProcessEnv, output: out.path });
  } catch (e) {
    out?.close();
    await cgroup?.remove();
    throw e;
  } finally {
    out?.closeWriteEnd(); // the hook holds its own write end now: end of file comes when it ends
  }
  const record = recordHookProcess(child.pid);
  let timedOut = false;
  let cancelled = false;
  // The sandbox's processes die with its outer process (bwrap --die-with-parent, PID
  // namespace); unsandboxed ones share its process group; the cgroup holds them all.
  const killAll = () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    cgroup?.kill();
  };
  // With a grace: SIGTERM to the sandbox's main process (the command), SIGKILL to all after the grace.
  let graceTimer: NodeJS.Timeout | null = null;
  const stop = (why: string) => {
    const grace = options.stopGraceMs;
    const main = grace !== undefined && grace > 0 ? sandboxMainProcess(child.pid) : null;
    if (main === null || graceTimer) return killAll();
    log.line(`${name} ${why}: SIGTERM sent; it is killed in ${describeDuration(grace!)} unless it ends.`, "stderr");
    try {
      process.kill(main, "SIGTERM");
    } catch {
      /* already gone */
    }
    graceTimer = setTimeout(() => {
      log.line(`${name} did not end within ${describeDuration(grace!)} of SIGTERM: SIGKILL.`, "stderr");
      killAll();
    }, grace);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop(`reached its time limit of ${describeDuration(limits.timeoutMs)}`);
  }, limits.timeoutMs);
  const onAbort = () => {
    cancelled = true;
    stop("was cancelled");
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  const started = Date.now();
  const disk = options.disk ? watchDisk({ dirs: options.disk.dirs, limitBytes: options.disk.limitBytes, onExceeded: killAll, niceness: options.niceness }) : null;
  const reader = readPipe(out.readFd, new LineSplitter(log, "stdout"), log);
  let runnerGone = false;
  let ended: Awaited<StartedProcess["exited"]>;
  try {
    ended = await child.exited.catch((e: unknown) => {
      if (!(e instanceof RunnerGone)) throw e;
      runnerGone = true; // the sandbox ended with the runner (its parent); killAll ends anything unsandboxed
      return { exitCode: null, signal: "SIGKILL" as const };
    });
  } finally {
    clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    options.signal?.removeEventListener("abort", onAbort);
    await disk?.stop();
    killAll(); // whatever the main process left behind
    record?.remove();
    out.close(await endOfOutput(reader, out.path, log));
  }
  const wallMs = Date.now() - started;
  const events = cgroup?.events() ?? { oomKills: 0, pidsRefused: 0, cpuMicros: null, throttledPeriods: 0 };
  await cgroup?.remove();
  const cpuMs = events.cpuMicros === null ? undefined : Math.round(events.cpuMicros / 1000);
  if (events.throttledPeriods >= THROTTLED_PERIODS_WORTH_SAYING && !runnerGone) {
    const used = cpuMs === undefined ? "" : `: its processes used ${(cpuMs / 1000).toFixed(1)} s of CPU time in ${(wallMs / 1000).toFixed(1)} s`;
    log.line(`${name} was slowed down by its limit of ${describeCpus(limits.cpus)} (HOOK_CPUS)${used}.`);
  }
  // Every limit the hook reached is said; the first one is the result's.
  let limit: HookResult["limit"];
  const reached = (kind: NonNullable<HookResult["limit"]>, line: string) => {
    limit ??= kind;
    log.line(line, "stderr");
  };
  if (runnerGone) log.line(`${name} was stopped: the server's process runner, which started it, ended while it ran.`, "stderr");
  else {
    if (timedOut) reached("time", `${name} ran longer than its limit of ${describeDuration(limits.timeoutMs)} (${options.timeoutSetting ?? (phase === "build" ? "HOOK_BUILD_TIMEOUT" : "HOOK_DEPLOY_TIMEOUT")}) and was stopped with every process it started.`);
    if (events.oomKills > 0) reached("memory", `${name} ran out of memory: its processes together may use ${Math.round(limits.memoryBytes / MIB)} MiB (HOOK_MEMORY_MB); the kernel stopped ${events.oomKills === 1 ? "one of them" : `${events.oomKills} of them`}.`);
    const diskVerdict = disk?.verdict();
    if (diskVerdict) reached("disk", describeDiskVerdict(name, diskVerdict));
    if (events.pidsRefused > 0) reached("processes", `${name} reached its limit of ${limits.maxProcesses} processes (HOOK_MAX_PROCESSES): starting more failed ${events.pidsRefused} time${events.pidsRefused === 1 ? "" : "s"}.`);
  }
  return { exitCode: timedOut || cancelled || disk?.verdict() ? null : ended.exitCode, signal: ended.signal, timedOut, cancelled, ...(limit ? { limit } : {}), ...(cpuMs === undefined ? {} : { cpuMs }) };
}

/** The seccomp filter, which the perl prelude hands to bubblewrap: without perl, none can be. */
async function hookSeccompWithPerl(): ReturnType<typeof hookSeccomp> {
  if (!hasPerl()) return { ok: false, reason: "perl is not installed (it hands bubblewrap the seccomp filter; Debian/Ubuntu: apt-get install perl-base)" };
  return hookSeccomp();
}

/** How long the pipe may stay open, once the hook's processes were killed, before whoever holds it is looked for. */
const HOLDERS_AFTER_MS = 200;
/** …and before the server stops waiting for its end (a process the kernel cannot kill yet). */
const GIVE_UP_AFTER_MS = 1200;

/**
 * Waits for the end of a hook's output once its main process ended and everything in its
 * sandbox, process group and cgroup was killed: end of file then comes at once. Should the
 * pipe stay open (a process outside all three: unsandboxed, without a cgroup, in a session
 * of its own), the processes holding it are found by the pipe they hold and killed; one
 * that still holds it (stuck in the kernel) is not waited for. Time the log is backed up
 * does not count. Returns whether the pipe reached end of file (then it can be used again).
 */
async function endOfOutput(reader: PipeReader, fifo: string, log: LogSink): Promise<boolean> {
  let waited = 0;
  let looked = false;
  for (;;) {
    const step = 20;
    const done = await Promise.race([reader.done.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), step))]);
    if (done) return reader.done;
    if (log.isBackedUp()) continue;
    waited += step;
    if (!looked && waited >= HOLDERS_AFTER_MS) {
      looked = true;
      await killPipeHolders(fifo);
    } else if (waited >= GIVE_UP_AFTER_MS) {
      reader.stop();
      await reader.done;
      return false;
    }
  }
}

/** Kills every process (but this one) holding the FIFO open: a scan of /proc, only ever needed for unsandboxed hooks without a cgroup. */
async function killPipeHolders(fifo: string): Promise<void> {
  const pids = await fs.promises.readdir("/proc").catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const fds = await fs.promises.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await fs.promises.readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")) !== fifo) continue;
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        /* gone */
      }
      break;
    }
  }
}

interface HookPipe {
  /** The FIFO, for the hook to open its write end. */
  path: string;
  readFd: number;
  /** Held by the server until the hook has opened its own (a read before then would see end of file). */
  writeFd: number;
  closeWriteEnd(): void;
  /** Closes both ends; `reusable` once the pipe reached end of file (no writer is left). */
  close(reusable?: boolean): void;
}

/**
 * FIFOs for hooks' output, made in the process's private temporary folder (private-temp.ts) and reused: each
 * open of a FIFO whose ends were all closed is a new pipe. Node's own stdio "pipes" are
 * socket pairs, into which a hook printing line by line runs measurably slower than into a
 * pipe; and each `mkfifo` is a process of its own, so they are made four at a time.
 */
const fifos = { dir: "", free: [] as string[], made: 0 };

async function takeFifo(): Promise<string> {
  // FIFOs of a private folder that was made again (a cleaner removed it) are never used: their path may be someone else's now.
  const dir = privateTempDir("hooks");
  if (dir !== fifos.dir) fifos.free = [];
  fifos.dir = dir;
  const free = fifos.free.pop();
  if (free) return free;
  const fresh = Array.from({ length: 4 }, () => path.join(dir, `pipe-${++fifos.made}`));
  await runFileOrThrow("mkfifo", ["-m", "600", ...fresh], { env: childProcessEnv({}) });
  fifos.free.push(...fresh.slice(1));
  return fresh[0]!;
}

async function openPipe(): Promise<HookPipe> {
  let fifo = await takeFifo();
  let readFd: number;
  try {
    readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    // The directory was cleaned away under us: start a new one.
    fifos.free = [];
    fifo = await takeFifo();
    readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  }
  const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
  let writeOpen = true;
  let readOpen = true;
  const closeWriteEnd = () => {
    if (writeOpen) fs.closeSync(writeFd);
    writeOpen = false;
  };
  const close = (reusable = false) => {
    closeWriteEnd();
    if (readOpen) fs.closeSync(readFd);
    if (readOpen && reusable) fifos.free.push(fifo);
    readOpen = false;
  };
  return { path: fifo, readFd, writeFd, closeWriteEnd, close };
}

/** A hook's command line: `bash -c script` (after the e-mail forwarder, where there is one) in the sandbox. */
function hookCommand(script: string, env: Record<string, string>, sandboxed: { bwrap: string; seccomp: string | null } | null, sandbox: SandboxSpec, limits: HookLimits, cgroup: HookCgroup | null, fileSizeBytes: number | null): SandboxedCommand {
  let inner: string[];
  // Not where the sandbox shares the host's network (a build with HOOK_BUILD_NETWORK): its ports would be the host's.
  const forwarder = sandboxed && !sandbox.network ? forwarderScript([...(sandbox.smtpSocket ? [SMTP_FORWARD] : []), ...(sandbox.forwards ?? [])]) : "";
  if (forwarder) {
    // The forwarder (the e-mail endpoint, a RabbitMQ; killed with the hook, as all in its sandbox) listening, then the script.
    inner = ["/bin/bash", "-c", WITH_FORWARDER, "pwi-hook", forwarder, script];
  } else inner = ["/bin/bash", "-c", script];
  return sandboxedCommand({ inner, env, sandboxed, sandbox, limits, cgroup, fileSizeBytes });
}

/** What the hook's pipe holds at most (the prelude sets it). */
const PIPE_BYTES = PRELUDE_PIPE_BYTES;

/**
 * Each running hook's outer process, recorded in DATA_DIR/run/hooks as `<pid>-<start time>`,
 * so a server restarted after a crash can kill what a dead one left (sweepHookProcesses).
 */
function recordHookProcess(pid: number): { remove(): void } | null {
  const started = processStartTime(pid);
  if (!started) return null;
  const file = path.join(dataPaths.hookRecords(), `${pid}-${started}`);
  try {
    fs.mkdirSync(dataPaths.hookRecords(), { recursive: true });
    fs.writeFileSync(file, "");
  } catch {
    return null;
  }
  return { remove: () => fs.rmSync(file, { force: true }) };
}

/**
 * At start: kills every hook a dead server left running (its process group, and its
 * cgroup's processes), so nothing of an interrupted deploy keeps running. Returns how many.
 */
export function sweepHookProcesses(): number {
  let killed = sweepHookCgroups();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dataPaths.hookRecords());
  } catch {
    return killed;
  }
  for (const entry of entries) {
    const [pid, started] = entry.split("-").map(Number) as [number, number];
    if (Number.isInteger(pid) && pid !== process.pid && processStartTime(pid) === String(started)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      killed++;
    }
    fs.rmSync(path.join(dataPaths.hookRecords(), entry), { force: true });
  }
  return killed;
}

/** How often a hook's pipe is read: soon again while output flows, less often while it is quiet. */
const READ_BUSY_MS = 5;
const READ_IDLE_MS = 10;
/** At most this much is read in one go before the event loop gets a turn. */
const READ_SLICE_BYTES = 4 * 1024 * 1024;

interface PipeReader {
  /** At end of file (true) or a read error or stop() (false). */
  done: Promise<boolean>;
  /** Reads what the pipe holds now, whether or not the log is backed up, and ends. */
  stop(): void;
}

/**
 * Reads a hook's pipe on a timer rather than on every write: a hook printing line by line
 * then writes into the pipe's buffer without waking us per line (that wake-up per write
 * was most of what logging cost a chatty hook), and each read takes everything waiting.
 * A line is still seen within READ_IDLE_MS of being printed. Reading stops while the log
 * is backed up (the pipe then fills and the hook waits), and ends at end of file, when
 * every process holding the write end has closed it, at a read error, or at stop().
 */
function readPipe(fd: number, splitter: LineSplitter, log: LogSink): PipeReader {
  const buffer = Buffer.allocUnsafe(256 * 1024);
  let finished = false;
  let stopping = false;
  let tick = () => {};
  const done = new Promise<boolean>((resolve) => {
    const finish = (clean: boolean) => {
      finished = true;
      splitter.end();
      resolve(clean);
    };
    tick = () => {
      if (finished) return;
      let total = 0;
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(fd, buffer, 0, buffer.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EAGAIN") break;
          return finish(false); // a read error ends the stream like end of file
        }
        if (n === 0) return finish(true);
        splitter.push(buffer.subarray(0, n));
        total += n;
        if (stopping) {
          if (total >= PIPE_BYTES) return finish(false); // what the pipe held, and no more: a writer may still be writing
          continue;
        }
        if (log.isBackedUp()) {
          void log.drained().then(tick);
          return;
        }
        if (total >= READ_SLICE_BYTES) break;
      }
      if (stopping) return finish(false);
      setTimeout(tick, total > 0 ? READ_BUSY_MS : READ_IDLE_MS);
    };
    tick();
  });
  return {
    done,
    stop: () => {
      stopping = true;
      tick();
    },
  };
}
