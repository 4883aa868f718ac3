import "server-only";
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { childProcessEnv } from "@/lib/env";
import { CUT_KEEP_BYTES, MAX_LINE_BYTES, type ActivityLog } from "@/lib/activities/activity-log";

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
export function runHook(options: {
  script: string;
  cwd: string;
  env: Record<string, string>;
  log: ActivityLog;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<HookResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", options.script], {
      cwd: options.cwd,
      env: childProcessEnv({ LANG: "C.UTF-8", ...options.env }),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
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
      pipeLines(child.stdout!, options.log, "stdout"),
      pipeLines(child.stderr!, options.log, "stderr"),
    ];

    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      void Promise.all(closed).then(() => resolve({ exitCode, signal, timedOut, cancelled }));
    });
  });
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
        emit(cutBytes > 0 ? partial : piece, cutBytes > 0 ? partialBytes + Buffer.byteLength(text.slice(start, nl)) : Buffer.byteLength(piece));
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
