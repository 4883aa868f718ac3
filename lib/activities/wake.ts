import { EventEmitter } from "node:events";

// In-process wake-up for workers (a worker in another process polls once a second).
const key = Symbol.for("pwi.activity-wake");
type G = typeof globalThis & { [key]?: EventEmitter };
const g = globalThis as G;
export const activityEvents: EventEmitter = (g[key] ??= new EventEmitter().setMaxListeners(0));

/**
 * How long a wake waits: the request that queued the work is answered first. Woken at once, the
 * worker claimed and started the activity on the server's one thread while that answer was
 * being written, and a Branch's answer reached the page 80–330 ms after the press instead of 60–110.
 */
export const WAKE_DELAY_MS = 30;

/** Wakes this process's workers (after WAKE_DELAY_MS); others see the work within a second. */
export function notifyWorkers(): void {
  setTimeout(() => activityEvents.emit("wake"), WAKE_DELAY_MS).unref();
}
