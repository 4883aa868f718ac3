import "server-only";
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { childProcessEnv } from "@/lib/env";

export interface RunFileOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  input?: string;
  maxBuffer?: number;
}

/** How a command ended: exit code 0 is success; `failure` says why it could not run or was cut. */
export interface RunFileResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  /** It did not start (ENOENT…) or its output passed maxBuffer. */
  failure: string | null;
}

class RunnerGoneError extends Error {}

/** A command in flight: `message` takes each answer and says whether it was the last. */
type Pending = { broker: ChildProcess; message: (m: RunnerMessage) => boolean; fail: (e: Error) => void };
type RunnerMessage = Partial<RunFileResult> & { id: number; pid?: number; done?: boolean };
type RunnerState = { pending: Map<number, Pending>; broker: ChildProcess | null; next: number; idleTimer: NodeJS.Timeout | null; holders: number; Gone: typeof RunnerGoneError };
/**
 * One runner per process: the server's bundles (the front door with the worker it starts,
 * server.ts; Next.js's pages and route handlers) each get their own copy of this module, and
 * would each start a runner.
 */
const KEY = Symbol.for("pwi.process-runner");
const state: RunnerState = ((globalThis as typeof globalThis & { [KEY]?: RunnerState })[KEY] ??= { pending: new Map(), broker: null, next: 0, idleTimer: null, holders: 0, Gone: RunnerGoneError });

/** The process runner ended (killed, out of memory) while a command was in flight. */
export const RunnerGone = state.Gone;
export type RunnerGone = RunnerGoneError;

const FILE = path.join(process.cwd(), "lib", "process-runner-child.mjs");
const IDLE_MS = 15_000;

const pending = state.pending;

/** The IPC channel keeps this process alive only while a command is in flight. */
type Channel = { ref(): void; unref(): void };
const channelOf = (b: ChildProcess) => (b as unknown as { channel?: Channel }).channel;

function getBroker(): ChildProcess {
  if (state.broker?.connected) return state.broker;
  // Only the system's variables: each command gets the environment its caller gives it.
  const b = fork(/* turbopackIgnore: true */ FILE, [], { execArgv: [], env: childProcessEnv({}), stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
  b.unref();
  b.on("message", (m: RunnerMessage) => {
    const p = pending.get(m.id);
    if (!p || !p.message(m)) return;
    pending.delete(m.id);
    settle(b);
  });
  const gone = () => {
    if (state.broker === b) state.broker = null;
    for (const [id, p] of pending) {
      if (p.broker !== b) continue;
      pending.delete(id);
      p.fail(new RunnerGone("The server's process runner ended while a command was running; try again."));
    }
  };
  b.on("exit", gone);
  b.on("error", gone);
  state.broker = b;
  return b;
}

/**
 * With nothing in flight: let the process exit, and end the runner after 15 s idle (a process of
 * its own costs about 40 MiB resident), unless someone has a page open (keepRunnerReady).
 */
function settle(b: ChildProcess) {
  if ([...pending.values()].some((p) => p.broker === b)) return;
  channelOf(b)?.unref();
  if (state.idleTimer) clearTimeout(state.idleTimer);
  state.idleTimer = null;
  if (state.holders > 0) return;
  state.idleTimer = setTimeout(() => {
    if (pending.size === 0 && b.connected) b.disconnect();
  }, IDLE_MS);
  state.idleTimer.unref();
}

/**
 * Keeps the runner started while someone has a project page open (its event stream calls this on
 * connect and the returned release on disconnect): their next button, Branch asking git three
 * questions, does not wait for a runner to start (about 50 ms, 15 of them blocking this thread).
 * With no page open, the runner ends 15 s after its last command.
 */
export function keepRunnerReady(): () => void {
  state.holders += 1;
  const b = getBroker();
  settle(b);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    state.holders -= 1;
    if (state.holders === 0 && state.broker) settle(state.broker);
  };
}

/**
 * Runs a command (an argument array, never a shell) in the process runner and buffers its
 * output: what execFile does, without blocking the event loop while the process starts.
 */
export function runFile(file: string, args: readonly string[], options: RunFileOptions): Promise<RunFileResult> {
  return new Promise((resolve, reject) => {
    send({ file, args, cwd: options.cwd, env: options.env, input: options.input, maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024 }, {
      message: (m) => (resolve(m as RunFileResult), true),
      fail: reject,
    });
  });
}

function send(request: Record<string, unknown>, handlers: Omit<Pending, "broker">): void {
  const b = getBroker();
  const id = ++state.next;
  if (state.idleTimer) clearTimeout(state.idleTimer);
  channelOf(b)?.ref();
  pending.set(id, { broker: b, ...handlers });
  b.send({ id, ...request });
}

/** A process the runner started (startProcess): its pid, and how it ended. */
export interface StartedProcess {
  pid: number;
  /** Its exit; rejects with RunnerGone if the runner ended first (a sandbox then ends with it). */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a long-running process (a hook) in the process runner, in a process group of its own
 * (kill `-pid` ends the group), stdout and stderr both written into the FIFO `output`, whose read
 * end the caller must already hold open. Resolves once it runs; rejects if it could not start.
 */
export function startProcess(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; output: string }): Promise<StartedProcess> {
  return new Promise((resolveStart, rejectStart) => {
    let exit: { resolve: (r: Awaited<StartedProcess["exited"]>) => void; reject: (e: Error) => void } | null = null;
    send({ file, args, cwd: options.cwd, env: options.env, output: options.output }, {
      message: (m) => {
        if (!m.done) {
          const exited = new Promise<Awaited<StartedProcess["exited"]>>((resolve, reject) => (exit = { resolve, reject }));
          resolveStart({ pid: m.pid!, exited });
          return false;
        }
        if (exit) exit.resolve({ exitCode: m.exitCode ?? null, signal: (m.signal ?? null) as NodeJS.Signals | null });
        else rejectStart(new Error(m.failure ?? "the process did not start"));
        return true;
      },
      fail: (e) => (exit ? exit.reject(e) : rejectStart(e)),
    });
  });
}

/** runFile, rejecting unless the command exits 0. */
export async function runFileOrThrow(file: string, args: readonly string[], options: RunFileOptions): Promise<RunFileResult> {
  const result = await runFile(file, args, options);
  if (result.exitCode !== 0) throw new Error(`${file} ${args[0] ?? ""} failed (${result.failure ?? result.signal ?? result.exitCode}): ${result.stderr.trim()}`);
  return result;
}

/** For tests: the runner's pid (null when not running). */
export function runnerPidForTests(): number | null {
  return state.broker?.pid ?? null;
}
