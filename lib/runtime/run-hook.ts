import "server-only";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { childProcessEnv, env as appEnv } from "@/lib/env";
import { dataPaths } from "@/lib/paths";
import { CUT_KEEP_BYTES, MAX_LINE_BYTES, type LogSink } from "./log-sink";
import { createHookCgroup, sweepHookCgroups, type HookCgroup } from "./hook-cgroup";
import { hookBaseEnv, SANDBOX_APP_DIR, sandboxArgs, sandboxSupport, unsandboxedWarning, type SandboxSpec } from "./sandbox";
import { SANDBOX_FORWARDER } from "./mail-endpoint";
import { RunnerGone, runFileOrThrow, startProcess, type StartedProcess } from "@/lib/process-runner";


/** The hooks of .magento.app.yaml (crons and operations will use the same runner). */
export type HookPhase = "build" | "deploy" | "post_deploy";

export interface HookLimits {
  timeoutMs: number;
  memoryBytes: number;
  maxProcesses: number;
}

export interface HookResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Which limit stopped the hook, when one did (also said in the log). */
  limit?: "time" | "memory" | "processes";
  /** The hook was not started: HOOK_SANDBOX=required and no working sandbox (said in the log). */
  refused?: boolean;
}

const MIB = 1024 * 1024;

/** The limits of a hook of this phase, from the settings. */
export function hookLimits(phase: HookPhase): HookLimits {
  const config = appEnv();
  return {
    timeoutMs: (phase === "build" ? config.HOOK_BUILD_TIMEOUT : config.HOOK_DEPLOY_TIMEOUT) * 1000,
    memoryBytes: config.HOOK_MEMORY_MB * MIB,
    maxProcesses: config.HOOK_MAX_PROCESSES,
  };
}

function describeDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

/**
 * Runs one hook of the repository's .magento.app.yaml as a real process (`bash -c`, the
 * repository's own script) inside a bubblewrap sandbox (see sandbox.ts): it sees /app, its
 * environment's writable directories and read-only system directories, nothing of the
 * server. Its processes share one cgroup's memory and process limits where the machine
 * allows (else rlimits per process); a timeout or a cancel kills all of them at once, and
 * so does the end of the hook's main process: nothing outlives the hook, and no process
 * left holding its output keeps the activity running. Every stdout and stderr line goes to
 * the log, in order.
 */
export async function runHook(options: {
  script: string;
  phase: HookPhase;
  sandbox: SandboxSpec;
  /** The hook's own variables (MAGENTO_CLOUD_*); PATH, HOME, LANG and TZ are added. */
  env: Record<string, string>;
  log: LogSink;
  limits?: Partial<HookLimits>;
  signal?: AbortSignal;
}): Promise<HookResult> {
  const { log, phase } = options;
  const limits = { ...hookLimits(phase), ...options.limits };
  const support = sandboxSupport();
  if (!support.ok) {
    if (appEnv().HOOK_SANDBOX === "required") {
      log.line(`The ${phase.replace("_", " ")} hook was not run: HOOK_SANDBOX=required and ${support.reason}.`, "stderr");
      return { exitCode: null, signal: null, timedOut: false, cancelled: false, refused: true };
    }
    log.line(unsandboxedWarning(support.reason), "stderr");
  }
  const cgroup = createHookCgroup(limits.memoryBytes, limits.maxProcesses);
  // One pipe for stdout and stderr: the log keeps the order in which the hook wrote, whichever
  // stream it used (two pipes are read in whatever order the reads happen to come back).
  const out = await openPipe();
  const [command, args] = hookCommand(options.script, support.ok ? support.bwrap : null, options.sandbox, limits, cgroup);
  const home = support.ok ? SANDBOX_APP_DIR : options.sandbox.appDir;
  // Started by the process runner: forking this process would hold its thread for 10-20 ms.
  let child: StartedProcess;
  try {
    child = await startProcess(command, args, { cwd: options.sandbox.appDir, env: { ...options.env, ...hookBaseEnv(home) } as unknown as NodeJS.ProcessEnv, output: out.path });
  } catch (e) {
    out.close();
    cgroup?.remove();
    throw e;
  } finally {
    out.closeWriteEnd(); // the hook holds its own write end now: end of file comes when it ends
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
  const timer = setTimeout(() => {
    timedOut = true;
    killAll();
  }, limits.timeoutMs);
  const onAbort = () => {
    cancelled = true;
    killAll();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  const closed = readPipe(out.readFd, new LineSplitter(log, "stdout"), log).then(out.close);
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
    options.signal?.removeEventListener("abort", onAbort);
    killAll(); // whatever the main process left behind
    record?.remove();
    await closed;
  }
  const events = cgroup?.events() ?? { oomKills: 0, pidsRefused: 0 };
  cgroup?.remove();
  const name = `The ${phase.replace("_", " ")} hook`;
  let limit: HookResult["limit"];
  if (runnerGone) log.line(`${name} was stopped: the server's process runner, which started it, ended while it ran.`, "stderr");
  else if (timedOut) {
    limit = "time";
    log.line(`${name} ran longer than its limit of ${describeDuration(limits.timeoutMs)} (${phase === "build" ? "HOOK_BUILD_TIMEOUT" : "HOOK_DEPLOY_TIMEOUT"}) and was stopped with every process it started.`, "stderr");
  } else if (events.oomKills > 0) {
    limit = "memory";
    log.line(`${name} ran out of memory: its processes together may use ${Math.round(limits.memoryBytes / MIB)} MiB (HOOK_MEMORY_MB); the kernel stopped ${events.oomKills === 1 ? "one of them" : `${events.oomKills} of them`}.`, "stderr");
  } else if (events.pidsRefused > 0) {
    limit = "processes";
    log.line(`${name} reached its limit of ${limits.maxProcesses} processes (HOOK_MAX_PROCESSES): starting more failed ${events.pidsRefused} time${events.pidsRefused === 1 ? "" : "s"}.`, "stderr");
  }
  return { exitCode: timedOut || cancelled ? null : ended.exitCode, signal: ended.signal, timedOut, cancelled, ...(limit ? { limit } : {}) };
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
 * FIFOs for hooks' output, made once per process in a private directory and reused: each
 * open of a FIFO whose ends were all closed is a new pipe. Node's own stdio "pipes" are
 * socket pairs, into which a hook printing line by line runs measurably slower than into a
 * pipe; and each `mkfifo` is a process of its own, so they are made four at a time.
 */
const fifos = { dir: null as Promise<string> | null, free: [] as string[], made: 0 };

async function takeFifo(): Promise<string> {
  const free = fifos.free.pop();
  if (free) return free;
  fifos.dir ??= fs.promises.mkdtemp(path.join(os.tmpdir(), "pwi-hooks-")).then((dir) => {
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  const dir = await fifos.dir;
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
    fifos.dir = null;
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

/** Linux's F_SETPIPE_SZ, and the size a user may give a pipe by default (/proc/sys/fs/pipe-max-size). */
const F_SETPIPE_SZ = 1031;
const PIPE_BYTES = 1024 * 1024;
let perl: boolean | undefined;
let prlimit: string | null | undefined;

/**
 * Perl (part of every Debian system) starts each hook: it moves itself into the hook's
 * cgroup (so everything the hook starts is counted), gives the hook's pipes a 1 MiB buffer
 * instead of 64 KiB (Node has no fcntl), then becomes the sandbox (exec: same process,
 * same group). A hook printing fast then writes on while the pipe waits for its next read.
 */
const PRELUDE = [
  'my @cg; while (@ARGV && $ARGV[0] ne "--") { push @cg, shift @ARGV } shift @ARGV;',
  'for my $f (@cg) { my $h; (open($h, ">", $f) and print($h "$$\n") and close($h)) or die "The hook could not join its cgroup ($f): $!\n" }',
  `fcntl(STDOUT, ${F_SETPIPE_SZ}, ${PIPE_BYTES}); fcntl(STDERR, ${F_SETPIPE_SZ}, ${PIPE_BYTES});`,
  'exec { $ARGV[0] } @ARGV or die "Cannot start $ARGV[0]: $!\n";',
].join(" ");

/**
 * The command line of a hook: [perl prelude] → [bwrap sandbox] → prlimit → bash -c script.
 * prlimit sets the process limit (per user namespace inside the sandbox) and, where no
 * cgroup limits memory, an address-space limit per process.
 */
function hookCommand(script: string, bwrap: string | null, sandbox: SandboxSpec, limits: HookLimits, cgroup: HookCgroup | null): [string, string[]] {
  perl ??= spawnSync("perl", ["-e", "exit 0"], { stdio: "ignore" }).status === 0;
  prlimit ??= ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => fs.existsSync(p)) ?? null;
  const inner: string[] = [];
  if (prlimit) inner.push(prlimit, `--nproc=${limits.maxProcesses}`, ...(cgroup ? [] : [`--as=${limits.memoryBytes}`]), "--");
  if (bwrap && sandbox.smtpSocket) {
    // Start the e-mail forwarder (killed with the hook, as all in its sandbox), wait until it listens or dies, then run the script.
    const launch = `if command -v node >/dev/null 2>&1; then node -e "$1" </dev/null >/dev/null 2>&1 & fwd=$!; i=0; while [ ! -e /tmp/.pwi-smtp-ready ] && kill -0 $fwd 2>/dev/null && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done; fi; exec /bin/bash -c "$2"`;
    inner.push("/bin/bash", "-c", launch, "pwi-hook", SANDBOX_FORWARDER, script);
  } else inner.push("/bin/bash", "-c", script);
  const sandboxed = bwrap ? [bwrap, ...sandboxArgs(sandbox), "--", ...inner] : inner;
  if (!perl) {
    cgroup?.remove();
    return [sandboxed[0]!, sandboxed.slice(1)];
  }
  // (perl takes the first "--" as the end of its own options; the prelude reads up to the second.)
  return ["perl", ["-e", PRELUDE, "--", ...(cgroup?.procsFiles ?? []), "--", ...sandboxed]];
}

/**
 * Each running hook's outer process, recorded in DATA_DIR/run/hooks as `<pid>-<start time>`,
 * so a server restarted after a crash can kill what a dead one left (sweepHookProcesses).
 */
function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

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

/**
 * Reads a hook's pipe on a timer rather than on every write: a hook printing line by line
 * then writes into the pipe's buffer without waking us per line (that wake-up per write
 * was most of what logging cost a chatty hook), and each read takes everything waiting.
 * A line is still seen within READ_IDLE_MS of being printed. Reading stops while the log
 * is backed up (the pipe then fills and the hook waits), and ends at end of file, when
 * every process holding the write end has closed it (true), or at a read error (false).
 */
function readPipe(fd: number, splitter: LineSplitter, log: LogSink): Promise<boolean> {
  const buffer = Buffer.allocUnsafe(256 * 1024);
  return new Promise((resolve) => {
    const tick = () => {
      let total = 0;
      let clean = true;
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(fd, buffer, 0, buffer.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EAGAIN") break;
          n = 0; // a read error ends the stream like end of file
          clean = false;
        }
        if (n === 0) {
          splitter.end();
          resolve(clean);
          return;
        }
        splitter.push(buffer.subarray(0, n));
        total += n;
        if (log.isBackedUp()) {
          void log.drained().then(tick);
          return;
        }
        if (total >= READ_SLICE_BYTES) break;
      }
      setTimeout(tick, total > 0 ? READ_BUSY_MS : READ_IDLE_MS);
    };
    tick();
  });
}

/**
 * Splits a hook's output into lines for the log. Memory stays bounded: a line longer
 * than the log keeps is cut while it is read (the rest is counted, not held).
 */
class LineSplitter {
  private readonly decoder = new TextDecoder("utf-8");
  private partial = "";
  private partialBytes = 0;
  private cutBytes = 0; // bytes of the current over-long line beyond what `partial` keeps

  constructor(
    private readonly log: LogSink,
    private readonly stream: "stdout" | "stderr",
  ) {}

  push(chunk: Uint8Array): void {
    const text = this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      if (this.cutBytes > 0) this.emit(this.partial, this.partialBytes + Buffer.byteLength(text.slice(start, nl)));
      else this.emit(this.partial + text.slice(start, nl), 0);
      this.partial = "";
      this.partialBytes = 0;
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (this.cutBytes > 0) this.cutBytes += Buffer.byteLength(rest);
    else if (rest.length > 0) {
      this.partial += rest;
      this.partialBytes += Buffer.byteLength(rest);
      if (this.partialBytes > MAX_LINE_BYTES) {
        const kept = Buffer.from(this.partial).subarray(0, CUT_KEEP_BYTES).toString("utf8").replace(/\uFFFD$/, "");
        this.cutBytes = this.partialBytes - Buffer.byteLength(kept);
        this.partial = kept;
        this.partialBytes = Buffer.byteLength(kept);
      }
    }
  }

  end(): void {
    const tail = this.partial + this.decoder.decode();
    if (tail.length > 0 || this.cutBytes > 0) this.emit(tail, this.partialBytes);
  }

  private emit(text: string, bytes: number) {
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    this.log.line(this.cutBytes > 0 ? `${line} … [line cut: ${bytes + this.cutBytes} bytes]` : line, this.stream);
    this.cutBytes = 0;
  }
}
