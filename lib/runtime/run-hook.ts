import "server-only";
import { execFile, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { childProcessEnv } from "@/lib/env";
import { CUT_KEEP_BYTES, MAX_LINE_BYTES, type ActivityLog } from "@/lib/activities/activity-log";

const run = promisify(execFile);

export const DEFAULT_HOOK_TIMEOUT_MS = 30 * 60 * 1000;

export interface HookResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
}

/**
 * Runs one hook of the repository's .magento.app.yaml as a real process (`bash -c`, the
 * repository's own script), in its own process group so a timeout or a cancel can kill
 * everything it started. Every stdout and stderr line goes to the log, in order.
 */
export async function runHook(options: {
  script: string;
  cwd: string;
  env: Record<string, string>;
  log: ActivityLog;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<HookResult> {
  const [out, err] = await openPipes();
  const [command, args] = hookCommand(options.script);
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, {
        cwd: options.cwd,
        env: childProcessEnv({ LANG: "C.UTF-8", ...options.env }),
        detached: true,
        stdio: ["ignore", out.writeFd, err.writeFd],
      });
    } catch (e) {
      out.close();
      err.close();
      throw e;
    } finally {
      out.closeWriteEnd();
      err.closeWriteEnd();
    }
    let timedOut = false;
    let cancelled = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS);
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const closed = [
      readPipe(out.readFd, new LineSplitter(options.log, "stdout"), options.log).then(out.close),
      readPipe(err.readFd, new LineSplitter(options.log, "stderr"), options.log).then(err.close),
    ];

    // (The pipes end by themselves: nothing else holds their write ends.)
    child.once("error", (e) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      void Promise.all(closed).then(() => reject(e));
    });
    child.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      void Promise.all(closed).then(() => resolve({ exitCode, signal, timedOut, cancelled }));
    });
  });
}

interface HookPipe {
  readFd: number;
  writeFd: number;
  closeWriteEnd(): void;
  /** Closes both ends; `reusable` once the pipe reached end of file (no writer is left). */
  close(reusable?: boolean): void;
}

/**
 * FIFOs for hooks' output, made once per process in a private directory and reused: each
 * open of a FIFO whose ends were all closed is a new pipe. Node's own stdio "pipes" are
 * socket pairs, into which a hook printing line by line runs measurably slower than into a
 * pipe; and forking this (large) process costs ~10 ms a time, so no `mkfifo` per hook.
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
  await run("mkfifo", ["-m", "600", ...fresh], { env: childProcessEnv({}) });
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
  return { readFd, writeFd, closeWriteEnd, close };
}

async function openPipes(): Promise<[HookPipe, HookPipe]> {
  const out = await openPipe();
  try {
    return [out, await openPipe()];
  } catch (e) {
    out.close();
    throw e;
  }
}

/** Linux's F_SETPIPE_SZ, and the size a user may give a pipe by default (/proc/sys/fs/pipe-max-size). */
const F_SETPIPE_SZ = 1031;
const PIPE_BYTES = 1024 * 1024;
let perl: boolean | undefined;

/**
 * `bash -c script`, started through Perl (part of every Debian system) where it is found:
 * Perl gives the hook's pipes a 1 MiB buffer instead of 64 KiB (Node has no fcntl) and then
 * becomes bash (exec: same process, same group). A hook printing fast then writes on while
 * the pipe waits for its next read instead of stopping every few milliseconds. Best effort:
 * where the size cannot be set, the pipes keep theirs and the hook only runs slower.
 */
function hookCommand(script: string): [string, string[]] {
  perl ??= spawnSync("perl", ["-e", "exit 0"], { stdio: "ignore" }).status === 0;
  if (!perl) return ["bash", ["-c", script]];
  const grow = `fcntl(STDOUT, ${F_SETPIPE_SZ}, ${PIPE_BYTES}); fcntl(STDERR, ${F_SETPIPE_SZ}, ${PIPE_BYTES});`;
  return ["perl", ["-e", `${grow} exec { "bash" } "bash", "-c", $ARGV[0] or exit 127;`, "--", script]];
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
function readPipe(fd: number, splitter: LineSplitter, log: ActivityLog): Promise<boolean> {
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
    private readonly log: ActivityLog,
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
