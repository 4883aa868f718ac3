import "server-only";
import { closeDatabase } from "@/db/client";
import { stopBackgroundWorker } from "@/lib/activities/background-worker";
import { stopEnvironmentRouter } from "@/lib/runtime/router";

/** How long a stop waits for running activities before it closes the database anyway. */
const WORKER_GRACE_MS = 5_000;
/** How long a stop may take in all: then the process exits whatever is left. */
const GRACE_MS = 8_000;

/**
 * SIGTERM and SIGINT (the server's own: Next.js, run by server.ts, installs no handler): the worker stops taking activities (those running get WORKER_GRACE_MS to end; what is cut off
 * is failed by the next start, as after a crash), the database is closed, which releases the
 * embedded database's lock, and the process exits with the signal's code (143, 130). Bounded:
 * after GRACE_MS it exits regardless. A start overlapping this stop waits for the lock.
 */
export function handleShutdownSignals(log: (line: string) => void): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const code = signal === "SIGINT" ? 130 : 143;
      log(`[shutdown] ${signal}: stopping the worker and closing the database (at most ${GRACE_MS / 1000} s).`);
      setTimeout(() => {
        log(`[shutdown] Still stopping after ${GRACE_MS / 1000} s: exiting now.`);
        process.exit(code);
      }, GRACE_MS).unref();
      void (async () => {
        await Promise.race([Promise.all([stopBackgroundWorker().catch(() => undefined), stopEnvironmentRouter().catch(() => undefined)]), new Promise((r) => setTimeout(r, WORKER_GRACE_MS).unref())]);
        await closeDatabase().catch((e: Error) => log(`[shutdown] Closing the database failed: ${e.message}`));
        process.exit(code);
      })();
    });
  }
}
