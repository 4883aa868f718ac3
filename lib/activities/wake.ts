import { EventEmitter } from "node:events";

// In-process wake-up for workers (a worker in another process polls once a second).
const key = Symbol.for("pwi.activity-wake");
type G = typeof globalThis & { [key]?: EventEmitter };
const g = globalThis as G;
export const activityEvents: EventEmitter = (g[key] ??= new EventEmitter().setMaxListeners(0));

export function notifyWorkers(): void {
  activityEvents.emit("wake");
}
