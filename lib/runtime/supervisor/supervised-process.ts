import "server-only";
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { LineSplitter } from "@/lib/runtime/line-splitter";
import { descendants, sandboxMainProcess } from "./process-tree";

/** Where a process's lines go (an application log file). */
export interface LineTarget {
  line(text: string, stream?: "stdout" | "stderr"): void;
}

export type ProcessState = "starting" | "running" | "backoff" | "crash-loop" | "stopping" | "stopped";

export interface ProcessCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface SupervisedOptions {
  /** Said in the log lines: "The application", "Worker queue". */
  label: string;
  /** Built again for each start. */
  command: () => ProcessCommand;
  stdout: LineTarget;
  stderr: LineTarget;
  /** A third output (the web sandbox's error log at descriptor 3). */
  fd3?: LineTarget;
  /** Where the supervisor's own lines go (starts, exits, restarts). */
  events: LineTarget;
  graceMs: number;
  /** Each change of state (the console shows it). */
  onState?: (state: ProcessState) => void;
}

/** A run shorter than this counts as a quick exit; QUICK_EXITS of them in a row are a crash loop. */
const QUICK_RUN_MS = 10_000;
const QUICK_EXITS = 5;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;
const CRASH_LOOP_DELAY_MS = 30_000;
/** How long a killed sandbox's output may stay open before it is closed from this side. */
const KILLED_GONE_MS = 3_000;
/**
 * How long a stop waits, once the sandbox was killed and its output closed, for its outer
 * process to be reported gone: past it the stop ends anyway, saying so (a process stuck in the
 * kernel never holds an activity, as Pause, that waits on the stop).
 */
export const KILLED_EXIT_MS = 5_000;

/**
 * One long-lived process of an environment (its web sandbox, a worker), started again when it
 * exits: after 0.1 s, doubling to 5 s while it keeps exiting quickly, and every 30 s once it
 * exited QUICK_EXITS times in a row within seconds of starting (a crash loop, which the
 * console shows). Each start and exit is a line in its log. `stop()` sends SIGTERM to the
 * sandbox's main process, waits `graceMs`, then kills the sandbox (and so everything in it).
 */
export class SupervisedProcess {
  state: ProcessState = "stopped";
  restarts = 0;
  startedAt: number | null = null;
  lastExit: { code: number | null; signal: string | null; at: number } | null = null;
  private child: ChildProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private quickExits = 0;
  private stopping: Promise<void> | null = null;
  /** Held stopped by `suspend` until `resume`. */
  private suspended = false;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: SupervisedOptions) {}

  /** The sandbox's outer process (bubblewrap), while one runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Every process of the running sandbox, the outer one included. */
  processes(): number[] {
    const pid = this.pid;
    return pid ? [pid, ...descendants(pid)] : [];
  }

  start(): void {
    if (this.stopping || this.child) return;
    this.launch();
  }

  /** Called after every change of state (the driver keeps a status file). */
  onStateChange: (() => void) | null = null;

  private setState(state: ProcessState) {
    this.state = state;
    this.options.onState?.(state);
    this.onStateChange?.();
  }

  private launch() {
    this.timer = null;
    this.setState("starting");
    const command = this.options.command();
    const stdio: ("ignore" | "pipe")[] = ["ignore", "pipe", "pipe"];
    if (this.options.fd3) stdio.push("pipe");
    const child: ChildProcess = spawn(command.file, command.args, { cwd: command.cwd, env: command.env as unknown as NodeJS.ProcessEnv, stdio, detached: true });
    this.child = child;
    const started = Date.now();
    this.startedAt = started;
    readLines(child.stdout!, this.options.stdout, "stdout");
    readLines(child.stderr!, this.options.stderr, "stderr");
    if (this.options.fd3) readLines(child.stdio[3] as Readable, this.options.fd3, "stderr");
    let resolveExit!: () => void;
    this.exited = new Promise((r) => (resolveExit = r));
    child.once("spawn", () => {
      if (this.child === child && this.state === "starting") this.setState("running");
    });
    child.once("error", (err) => {
      this.options.events.line(`${this.options.label} could not be started: ${err.message}`, "stderr");
    });
    child.once("close", (code, signal) => {
      this.child = null;
      const ran = Date.now() - started;
      this.lastExit = { code, signal, at: Date.now() };
      resolveExit();
      if (this.stopping || this.suspended) return;
      this.quickExits = ran < QUICK_RUN_MS ? this.quickExits + 1 : 1;
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      const after = ran < 10_000 ? `${(ran / 1000).toFixed(1)} s` : `${Math.round(ran / 1000)} s`;
      if (this.quickExits >= QUICK_EXITS) {
        this.options.events.line(`${this.options.label} ${how} after ${after}, the ${ordinal(this.quickExits)} time in a row within seconds of starting: it is in a crash loop. Starting it again every ${CRASH_LOOP_DELAY_MS / 1000} s; read the lines above for why it stops.`, "stderr");
        this.schedule(CRASH_LOOP_DELAY_MS, "crash-loop");
      } else {
        const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.quickExits - 1));
        this.options.events.line(`${this.options.label} ${how} after ${after}; starting it again in ${(delay / 1000).toFixed(1)} s.`, "stderr");
        this.schedule(delay, "backoff");
      }
    });
  }

  private schedule(delay: number, state: ProcessState) {
    this.setState(state);
    this.timer = setTimeout(() => {
      this.restarts += 1;
      this.launch();
    }, delay);
    this.timer.unref?.();
  }

  /** Stops it for good: SIGTERM to the sandbox's main process, then after `graceMs` (the option's, unless given) SIGKILL to the sandbox. */
  stop(reason?: string, graceMs = this.options.graceMs): Promise<void> {
    this.stopping ??= this.terminate(reason, graceMs);
    return this.stopping;
  }

  /**
   * Stops it as `stop` does, but only until `resume` (a safe snapshot copies its files
   * meanwhile): it is not started again on its own, and the stop counts as no crash.
   */
  async suspend(reason: string, graceMs = this.options.graceMs): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.suspended) return;
    this.suspended = true;
    await this.terminate(reason, graceMs);
  }

  /** Starts it again after `suspend` (nothing when it was stopped for good meanwhile). */
  resume(reason?: string): void {
    if (!this.suspended || this.stopping) return;
    this.suspended = false;
    this.quickExits = 0;
    if (reason) this.options.events.line(reason);
    this.launch();
  }

  /** SIGTERM to the sandbox's main process, SIGKILL to the sandbox after `graceMs`; resolves once it is gone. */
  private async terminate(reason: string | undefined, graceMs: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    if (!child?.pid) {
      this.setState("stopped");
      return;
    }
    this.setState("stopping");
    if (reason) this.options.events.line(reason);
    const main = sandboxMainProcess(child.pid);
    signal(main ?? child.pid, "SIGTERM");
    const graceful = await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!graceful) {
      if (graceMs > 0) this.options.events.line(`${this.options.label} did not stop within ${Math.round(graceMs / 1000)} s of SIGTERM; killed.`, "stderr");
      for (const pid of [child.pid, ...descendants(child.pid)]) signal(pid, "SIGKILL");
      signal(-child.pid, "SIGKILL"); // its process group too (spawned detached: the group is its pid)
      // Its output ends when the last process holding it is gone; a stop never waits on that for long.
      if (!(await Promise.race([this.exited.then(() => true), delay(KILLED_GONE_MS).then(() => false)]))) {
        for (const stream of child.stdio) stream?.destroy();
        // ('close' comes once it exited too: a process that never does is given up on, not waited for.)
        if (!(await Promise.race([this.exited.then(() => true), delay(KILLED_EXIT_MS).then(() => false)]))) {
          this.options.events.line(`${this.options.label} (process ${child.pid}) was still not gone ${Math.round((KILLED_GONE_MS + KILLED_EXIT_MS) / 1000)} s after SIGKILL; stopped without waiting for it any longer.`, "stderr");
        }
      }
    }
    this.setState("stopped");
  }
}

/** How long one clean-up step of a stop (its disk watch, cgroup, SMTP endpoint, socket folder) may take before the stop goes on without it. */
export const STOP_STEP_MS = 10_000;
/**
 * Waits for one step of a stop, at most `ms`: past it the stop goes on (the step keeps running
 * on its own) and `say` is told which step it left behind, so nothing that waits on a stop — an
 * activity (Pause, a deploy replacing the release) — ever waits without end.
 */
export async function boundedStep(step: () => Promise<unknown> | undefined, what: string, say: (line: string) => void, ms = STOP_STEP_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  const done = Promise.resolve()
    .then(step)
    .then(
      () => false as const,
      // (A failure was never the stop's: it goes on, as before, the server's log saying why.)
      (err: unknown) => (console.error(`[runtime] ${what} failed:`, err instanceof Error ? err.message : err), false as const),
    );
  try {
    if (await Promise.race([done, timedOut])) say(`${what} did not finish within ${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)} s; the stop goes on without waiting for it.`);
  } finally {
    clearTimeout(timer);
  }
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

function ordinal(n: number): string {
  return `${n}${n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th"}`;
}

/** Reads a stream's lines into `target` (the hooks' splitter: an over-long line is cut while it is read). */
function readLines(stream: Readable, target: LineTarget, kind: "stdout" | "stderr") {
  const splitter = new LineSplitter(target, kind);
  stream.on("data", (chunk: Buffer) => splitter.push(chunk));
  stream.on("end", () => splitter.end());
  stream.on("error", () => undefined);
}
