import "server-only";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Readable } from "node:stream";
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
  const out = await openPipe();
  const err = await openPipe().catch((e) => {
    out.close();
    throw e;
  });
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn("bash", ["-c", options.script], {
        cwd: options.cwd,
        env: childProcessEnv({ LANG: "C.UTF-8", ...options.env }),
        detached: true,
        stdio: ["ignore", out.writeFd, err.writeFd],
      });
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

    const closed = [pipeLines(out.reader, options.log, "stdout"), pipeLines(err.reader, options.log, "stderr")];

    child.once("error", (e) => {
      clearTimeout(timer);
      out.close();
      err.close();
      reject(e);
    });
    child.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      void Promise.all(closed).then(() => resolve({ exitCode, signal, timedOut, cancelled }));
    });
  });
}

/**
 * A real pipe (a FIFO, unlinked at once) for a hook's output. Node's own stdio "pipes"
 * are socket pairs, and a hook printing line by line into a socket pair runs measurably
 * slower than into a pipe; the read end is still read through the event loop.
 */
async function openPipe(): Promise<{ reader: net.Socket; writeFd: number; closeWriteEnd(): void; close(): void }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "pwi-hook-"));
  const fifo = path.join(dir, "pipe");
  try {
    await run("mkfifo", ["-m", "600", fifo], { env: childProcessEnv({}) });
    const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
    const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
    let writeOpen = true;
    const closeWriteEnd = () => {
      if (writeOpen) fs.closeSync(writeFd);
      writeOpen = false;
    };
    const close = () => {
      closeWriteEnd();
      reader.destroy();
    };
    return { reader, writeFd, closeWriteEnd, close };
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Splits a pipe into lines for the log. Memory stays bounded: a line longer than the
 * log keeps is cut while it is read (the rest is counted, not held), and reading pauses
 * while the log has too many lines waiting to be stored (the hook then waits on its pipe).
 */
function pipeLines(input: Readable, log: ActivityLog, stream: "stdout" | "stderr"): Promise<void> {
  const decoder = new TextDecoder("utf-8");
  let partial = "";
  let partialBytes = 0;
  let cutBytes = 0; // bytes of the current over-long line beyond what `partial` keeps
  const emit = (text: string, bytes: number) => {
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    log.line(cutBytes > 0 ? `${line} … [line cut: ${bytes + cutBytes} bytes]` : line, stream);
    cutBytes = 0;
  };
  return new Promise((resolve) => {
    input.on("data", (chunk: Buffer) => {
      const text = decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        const piece = partial + text.slice(start, nl);
        // (The byte count matters only for a line already being cut.)
        emit(cutBytes > 0 ? partial : piece, cutBytes > 0 ? partialBytes + Buffer.byteLength(text.slice(start, nl)) : 0);
        partial = "";
        partialBytes = 0;
        start = nl + 1;
      }
      const rest = text.slice(start);
      if (cutBytes > 0) cutBytes += Buffer.byteLength(rest);
      else {
        partial += rest;
        partialBytes += Buffer.byteLength(rest);
        if (partialBytes > MAX_LINE_BYTES) {
          const kept = Buffer.from(partial).subarray(0, CUT_KEEP_BYTES).toString("utf8").replace(/\uFFFD$/, "");
          cutBytes = partialBytes - Buffer.byteLength(kept);
          partial = kept;
          partialBytes = Buffer.byteLength(kept);
        }
      }
      if (log.isBackedUp()) {
        input.pause();
        void log.drained().then(() => input.resume());
      }
    });
    input.once("close", () => {
      const tail = partial + decoder.decode();
      if (tail.length > 0 || cutBytes > 0) emit(tail, partialBytes);
      resolve();
    });
  });
}
