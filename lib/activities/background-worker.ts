import "server-only";
import type { Db } from "@/db/client";
import { inBackground } from "@/db/pglite-thread";
import type { Worker } from "./worker";

const key = Symbol.for("pwi.worker");
type G = typeof globalThis & { [key]?: Worker };

/**
 * The server's own worker: one per process, stopped on SIGTERM/SIGINT. What it does is the
 * workers' work: on the embedded database its statements give way to requests'.
 */
export function startBackgroundWorker(db: Db, start: (db: Db) => Worker): Worker {
  const g = globalThis as G;
  if (g[key]) return g[key];
  const worker = inBackground(() => start(db));
  g[key] = worker;
  return worker;
}

/** Stops the server's worker, if it runs: no new activity starts; resolves when the running ones have ended. */
export async function stopBackgroundWorker(): Promise<void> {
  const g = globalThis as G;
  const worker = g[key];
  delete g[key];
  await worker?.stop();
}
