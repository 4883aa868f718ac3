import "server-only";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";

/** How often the server looks at how busy it was. */
const CHECK_EVERY_MS = 5_000;
/** An interval is quiet below this share of time spent running (the job queue's polls alone take about 2%). */
const QUIET_UTILIZATION = 0.05;
/** Collections per quiet period, one per quiet interval: the second finds what the first left for later. */
const COLLECTIONS = 2;
/**
 * A collection stops the server for about 60 ms: it waits until no request has arrived for this
 * long. A server asked every few hundred milliseconds (an open console, a monitor) is not idle
 * however little each answer costs; one collection there was a 60 ms answer every time.
 */
export const REQUEST_GAP_MS = 2_000;

/** When the last request arrived (performance.now()), shared by the server's bundles (each loads this module). */
const REQUESTS = Symbol.for("pwi.idleMemory.lastRequest");
const requests = ((globalThis as Record<symbol, unknown>)[REQUESTS] ??= { at: Number.NEGATIVE_INFINITY }) as { at: number };

/** The server's front door calls this for each request. */
export function noteRequest(): void {
  requests.at = performance.now();
}

/**
 * Whether to collect now: the last interval was quiet (its event loop busy less than
 * QUIET_UTILIZATION of the time) and no request arrived for REQUEST_GAP_MS.
 */
export function quietNow(utilization: number, msSinceLastRequest: number): boolean {
  return utilization < QUIET_UTILIZATION && msSinceLastRequest >= REQUEST_GAP_MS;
}

/** `gc()` as --expose-gc defines it: a full, compacting collection (about 60 ms on this heap). */
type Collect = () => void;

let started = false;

/**
 * When the server goes quiet after work (its event loop was busy less than 5% of the time for
 * 5 s, and no request arrived for REQUEST_GAP_MS), it collects its garbage, compacting V8's heap so the
 * pages a burst of renders used go back to the system; V8 alone keeps them for a minute or
 * more. Twice per quiet period (about 60 ms each), never while anything is busy; each compacts
 * every page of the heap, so the free space left in half-used pages goes back too.
 */
export function collectGarbageWhenIdle(): void {
  if (started) return;
  started = true;
  v8.setFlagsFromString("--expose-gc");
  const collect = vm.runInNewContext("gc") as Collect | undefined;
  if (typeof collect !== "function") return;

  let last = performance.eventLoopUtilization();
  let collections = COLLECTIONS;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const interval = performance.eventLoopUtilization(now, last);
    last = now;
    if (interval.utilization >= QUIET_UTILIZATION) {
      collections = COLLECTIONS;
      return;
    }
    if (collections === 0 || !quietNow(interval.utilization, performance.now() - requests.at)) return;
    collections -= 1;
    // Compacting every page, not only those V8's heuristics pick: its own choice left 5-8 MiB of
    // free space spread over half-empty pages, differing from start to start. Only here: under
    // load the server's collections keep V8's heuristics.
    v8.setFlagsFromString("--compact-on-every-full-gc");
    try {
      collect();
    } finally {
      v8.setFlagsFromString("--no-compact-on-every-full-gc");
    }
    // The collection itself counts as work in the next interval: do not take it for new work.
    last = performance.eventLoopUtilization();
  }, CHECK_EVERY_MS);
  timer.unref();
}
