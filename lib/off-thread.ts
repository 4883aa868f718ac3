import "server-only";
import { Worker } from "node:worker_threads";

/** A task that did not finish in its worker: over its budget, or the worker failed or was restarted. */
export class OffThreadFailure extends Error {}

export interface OffThreadOptions {
  /** How long one task may take before the worker is terminated (and made again for the next). */
  budgetMs: number;
  /** The worker's heap cap: input built to blow up in memory ends the worker, not the server. */
  maxOldGenerationSizeMb: number;
  /** With no task for this long, the worker ends (its memory is returned); made again on next use. */
  idleMs?: number;
  /**
   * How long a new worker may take to load before it says `{ ready: true }` (loading is our code,
   * not the input's: a task's budget starts once its worker is ready). Default 30 s.
   */
  startMs?: number;
  messages: { overBudget: string; restarted: string; crashed: (detail: string | null) => string };
}

/**
 * Runs a worker script's tasks on another thread, so untrusted input costs that thread's time,
 * never the event loop's. The script answers each `{ id, input }` message with `{ id, output }`.
 * One worker per runner, made on first use; it posts `{ ready: true }` once loaded. A task's
 * budget runs from when its worker is ready (a cold start under load is not the input's fault); a
 * task over its budget terminates the worker, and every task then waiting fails with
 * `messages.restarted`.
 */
export function offThread<In, Out>(file: string, options: OffThreadOptions): (input: In) => Promise<Out> {
  type Pending = { worker: Worker; resolve: (out: Out) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | null; startBudget: () => void };
  const pending = new Map<number, Pending>();
  let worker: Worker | null = null;
  const ready = new WeakSet<Worker>();
  let next = 0;
  let idleTimer: NodeJS.Timeout | null = null;

  /** Fails the tasks `w` holds (a task already sent to a newer worker is not its). */
  const failAll = (w: Worker, error: Error) => {
    for (const [id, p] of pending) {
      if (p.worker !== w) continue;
      if (p.timer) clearTimeout(p.timer);
      p.reject(error);
      pending.delete(id);
    }
  };
  const stop = (w: Worker) => {
    if (worker === w) worker = null;
    void w.terminate();
  };
  const getWorker = (): Worker => {
    if (worker) return worker;
    const w = new Worker(file, { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } });
    w.unref();
    const loading = setTimeout(() => {
      failAll(w, new OffThreadFailure(options.messages.crashed("it did not start in time")));
      stop(w);
    }, options.startMs ?? 30_000);
    loading.unref();
    w.on("message", (m: { id: number; output: Out } | { ready: true }) => {
      if ("ready" in m) {
        clearTimeout(loading);
        ready.add(w);
        for (const p of pending.values()) if (p.worker === w) p.startBudget();
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      if (p.timer) clearTimeout(p.timer);
      pending.delete(m.id);
      p.resolve(m.output);
      if (pending.size === 0 && options.idleMs !== undefined && worker === w) {
        idleTimer = setTimeout(() => pending.size === 0 && stop(w), options.idleMs);
        idleTimer.unref();
      }
    });
    const gone = (error: Error) => {
      clearTimeout(loading);
      if (worker === w) worker = null;
      failAll(w, error);
    };
    w.on("error", (e) => gone(new OffThreadFailure(options.messages.crashed(e.message.slice(0, 200)))));
    w.on("exit", () => gone(new OffThreadFailure(options.messages.crashed(null))));
    worker = w;
    return w;
  };

  return (input: In) =>
    new Promise<Out>((resolve, reject) => {
      if (idleTimer) clearTimeout(idleTimer);
      const id = ++next;
      const w = getWorker();
      const task: Pending = {
        worker: w,
        resolve,
        reject,
        timer: null,
        startBudget: () => {
          task.timer ??= setTimeout(() => {
            pending.delete(id);
            reject(new OffThreadFailure(options.messages.overBudget));
            failAll(w, new OffThreadFailure(options.messages.restarted));
            stop(w);
          }, options.budgetMs);
        },
      };
      pending.set(id, task);
      if (ready.has(w)) task.startBudget();
      w.postMessage({ id, input });
    });
}
