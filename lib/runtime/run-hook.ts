import "server-only";
import { spawn } from "node:child_process";
import readline from "node:readline";
import { childProcessEnv } from "@/lib/env";
import type { ActivityLog } from "@/lib/activities/activity-log";

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

    const streams = [
      readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }),
      readline.createInterface({ input: child.stderr!, crlfDelay: Infinity }),
    ];
    streams[0]!.on("line", (l) => options.log.line(l, "stdout"));
    streams[1]!.on("line", (l) => options.log.line(l, "stderr"));
    const closed = streams.map((s) => new Promise<void>((r) => s.once("close", () => r())));

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
