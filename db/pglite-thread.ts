/**
 * The embedded database in a thread of its own (db/pglite-thread-worker.mjs). PGlite executes
 * SQL synchronously in WebAssembly: in the server's thread, every statement of the workers
 * (a hundred crons due at once are thousands) held back every request meanwhile, `/api/health`
 * included. Here the server's thread only sends statements and receives rows.
 *
 * `PGliteThread` answers what Drizzle's PGlite driver, pg-boss's executor and LISTEN use of a
 * PGlite: `query`, `exec`, `transaction`, `listen`, `close`. Query options: `rowMode`, and
 * `parsers` that keep a type's text as it is (all Drizzle passes); any other parser is refused.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import { Worker } from "node:worker_threads";

export interface ThreadResults<T = Record<string, unknown>> {
  rows: T[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

interface QueryOptions {
  rowMode?: "array" | "object";
  parsers?: Record<number, (value: string, typeId: number) => unknown>;
}

export interface ThreadTransaction {
  query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions): Promise<ThreadResults<T>>;
  exec(text: string): Promise<ThreadResults[]>;
}

/**
 * What runs inside `inBackground` (the activity worker, its schedulers) is the workers' work: its
 * statements wait while requests' statements wait (db/pglite-thread-worker.mjs). One store per
 * process, on globalThis: the server's front door and Next.js's bundles each load this module.
 */
const backgroundKey = Symbol.for("pwi.backgroundWork");
const backgroundWork: AsyncLocalStorage<true> = ((globalThis as Record<symbol, unknown>)[backgroundKey] ??= new AsyncLocalStorage<true>()) as AsyncLocalStorage<true>;

/** Runs `fn` (and everything it starts, timers and callbacks included) as the workers' work. */
export function inBackground<T>(fn: () => T): T {
  return backgroundWork.run(true, fn);
}

const WORKER = path.join(process.cwd(), "db", "pglite-thread-worker.mjs");

/** The types of the parsers given, each checked to keep its text as it is. */
function keptTypes(parsers: QueryOptions["parsers"]): number[] | undefined {
  if (!parsers) return undefined;
  const oids = Object.keys(parsers).map(Number);
  for (const oid of oids) {
    if (parsers[oid]!("2026-01-01 00:00:00+00", oid) !== "2026-01-01 00:00:00+00") throw new Error(`The embedded database's thread takes only parsers that keep the text (type ${oid}).`);
  }
  return oids;
}

export class PGliteThread implements ThreadTransaction {
  private readonly worker: Worker;
  private nextId = 1;
  private nextSub = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<number, (payload: string) => void>();
  private stopped: Error | null = null;
  closed = false;

  private constructor(dataDir: string | undefined, startParams: string[] | undefined) {
    // Its young generation capped as the server's own is (package.json's start): a thread that
    // only passes statements and rows keeps little, and would otherwise hold 16 MiB per half.
    this.worker = new Worker(/* turbopackIgnore: true */ WORKER, { workerData: { dataDir, startParams }, resourceLimits: { maxYoungGenerationSizeMb: 6 } });
    this.worker.on("message", (m: { id?: number; result?: unknown; error?: Record<string, unknown> & { message: string }; sub?: number; payload?: string }) => {
      if (m.sub !== undefined) {
        this.listeners.get(m.sub)?.(m.payload ?? "");
        return;
      }
      const call = this.pending.get(m.id!);
      if (!call) return;
      this.pending.delete(m.id!);
      if (this.pending.size === 0) this.worker.unref();
      if (m.error) call.reject(Object.assign(new Error(m.error.message), m.error));
      else call.resolve(m.result);
    });
    const stop = (err: Error) => {
      this.stopped ??= err;
      this.closed = true;
      for (const call of this.pending.values()) call.reject(this.stopped);
      this.pending.clear();
    };
    this.worker.on("error", (err) => {
      console.error("[db] The embedded database's thread failed:", err);
      stop(new Error(`The embedded database stopped: ${err.message}`));
    });
    this.worker.on("exit", (code) => stop(new Error(`The embedded database's thread has ended (exit code ${code}).`)));
  }

  /** Opens (or creates) the database in `dataDir` (in memory when undefined) in a new thread. */
  static async create(dataDir: string | undefined, options: { startParams?: string[] } = {}): Promise<PGliteThread> {
    const thread = new PGliteThread(dataDir, options.startParams);
    try {
      await thread.call({ op: "open" });
    } catch (err) {
      await thread.worker.terminate();
      throw err;
    }
    return thread;
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // The thread keeps the process alive while it owes an answer, and only then (as PGlite in this thread did).
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id, background: backgroundWork.getStore() === true });
    });
  }

  query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions, tx?: number): Promise<ThreadResults<T>> {
    return this.call({ op: "query", text, params, options: { rowMode: options?.rowMode, keep: keptTypes(options?.parsers) }, tx });
  }

  exec(text: string, tx?: number): Promise<ThreadResults[]> {
    return this.call({ op: "exec", text, tx });
  }

  /** Several statements in one text; a failure inside a BEGIN … COMMIT block of it rolls that back. */
  script(text: string): Promise<{ rows: unknown[] }> {
    return this.call({ op: "script", text });
  }

  async transaction<T>(fn: (tx: ThreadTransaction) => Promise<T>): Promise<T> {
    const { tx } = await this.call<{ tx: number }>({ op: "begin" });
    const handle: ThreadTransaction = {
      query: (text, params, options) => this.query(text, params, options, tx),
      exec: (text) => this.exec(text, tx),
    };
    let result: T;
    try {
      result = await fn(handle);
    } catch (err) {
      await this.call({ op: "end", tx, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.call({ op: "end", tx, commit: true });
    return result;
  }

  /** Calls `onMessage` for each NOTIFY on `channel`; returns the unsubscribe function. */
  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const sub = this.nextSub++;
    this.listeners.set(sub, onMessage);
    try {
      await this.call({ op: "listen", channel, sub });
    } catch (err) {
      this.listeners.delete(sub);
      throw err;
    }
    return async () => {
      this.listeners.delete(sub);
      await this.call({ op: "unlisten", sub }).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.call({ op: "close" }).catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
  }
}
