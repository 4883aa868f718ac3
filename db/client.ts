/**
 * Opens the database: embedded PGlite in DATA_DIR when DATABASE_URL is unset, a
 * node-postgres pool when it is set. Everything else receives a `Db` and never
 * learns which one it is.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { childProcessEnv, env } from "@/lib/env";
import { restrictTreeToOwner } from "@/lib/owner-only-files";
import { PGliteThread } from "./pglite-thread";
import * as schema from "./schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** The database or a transaction of it: every query function takes either, so no caller casts. */
export type Executor = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface Database {
  db: Db;
  /**
   * The workers' own connections (the activity worker, its dispatcher, scheduler and pg-boss):
   * on PostgreSQL a pool apart from the requests' when `workerPoolSize` is given, so a request
   * never waits for a connection behind them (a hundred crons due at once held health answers
   * 20-50 ms waiting); otherwise `db` (the embedded database's thread puts requests' statements
   * first itself).
   */
  workerDb: Db;
  /** Applies db/migrations that have not been applied yet; returns how many it applied. */
  migrate(): Promise<number>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { databaseUrl: string; poolSize?: number; workerPoolSize?: number }
  | { dataDir: string }
  | { inMemory: true };

export const migrationsFolder = path.join(process.cwd(), "db", "migrations");
const MIGRATION_LOCK = 727_001; // pg_advisory_lock key: one migrator at a time across servers

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ("databaseUrl" in options) return openPostgres(options.databaseUrl, options.poolSize ?? 10, options.workerPoolSize);
  if ("dataDir" in options) return openPglite(options.dataDir);
  return openPglite(undefined);
}

/**
 * How long a pool's connection is kept unused before it is closed (node-postgres's default is
 * 10 s). A burst (a page's parallel queries, a hundred crons due at a minute boundary) needs more
 * connections than the steady traffic between them; opened again at each burst, a connection cost
 * its first statements 20-100 ms (a new server process, its caches empty) while the machine was
 * busiest. Kept two minutes, the connections a burst opened are there for the next one.
 */
const IDLE_CONNECTION_MS = 120_000;

async function openPostgres(connectionString: string, max: number, workerMax: number | undefined): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: IDLE_CONNECTION_MS });
  pool.on("error", (err) => console.error("[db] idle client error:", err.message));
  const db = drizzlePg(pool, { schema, casing: "snake_case" }) as unknown as Db;
  // Connections are opened when first asked for: a pool no worker uses costs nothing.
  const workerPool = workerMax ? new pg.Pool({ connectionString, max: workerMax, idleTimeoutMillis: IDLE_CONNECTION_MS }) : null;
  workerPool?.on("error", (err) => console.error("[db] idle client error (workers' pool):", err.message));
  const workerDb = workerPool ? (drizzlePg(workerPool, { schema, casing: "snake_case" }) as unknown as Db) : db;
  return {
    db,
    workerDb,
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
        const onClient = drizzlePg(client, { schema, casing: "snake_case" });
        const before = await countApplied((q) => client.query(q).then((r) => r.rows));
        await migratePg(onClient, { migrationsFolder });
        const after = await countApplied((q) => client.query(q).then((r) => r.rows));
        return after - before;
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
        client.release();
      }
    },
    close: () => Promise.all([pool.end(), workerPool?.end()]).then(() => undefined),
  };
}

/**
 * The embedded server's settings, each touching less of its WebAssembly memory for good (measured
 * on a dashboard's data directory, opened: 21 MiB with PostgreSQL's defaults but 8 MB of buffers,
 * 13 MiB with these):
 * - shared_buffers=4MB (PostgreSQL's default of 128 MB would be most of an idle instance, all
 *   written at start): holds a dashboard's working set; the files stay in the OS page cache, so a
 *   miss is a read from it. The project page's bench rows measured alike with 4, 8 and 16 MB.
 * - max_connections=5 (default 100): PGlite is one backend; the lock and process tables sized for
 *   100 are 4 MiB, written at start. 5 is the least PostgreSQL accepts with its reserved
 *   connections, and keeps max_locks_per_transaction × 19 backends (1,216) lock slots.
 * - work_mem=2MB: a sort or hash larger than that spills to a temporary file instead of growing
 *   the memory (which WebAssembly never gives back).
 *
 * V8 keeps PGlite's WebAssembly at its baseline tier (Liftoff): optimising it holds 60-100 MiB
 * more for the life of the process. The dashboard's small queries run as fast either way;
 * CPU-heavy SQL runs about half as fast. The flag applies to modules compiled after it, so it
 * is set before the first open.
 */
const PGLITE_DEFAULTS = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams;
const PGLITE_SETTINGS = ["shared_buffers=4MB", "max_connections=5", "work_mem=2MB"];
const PGLITE_START_PARAMS = Array.isArray(PGLITE_DEFAULTS) ? [...PGLITE_DEFAULTS, ...PGLITE_SETTINGS.flatMap((s) => ["-c", s])] : undefined;

/**
 * PWI_LOG_QUERIES=1: every query on stderr with when it was sent (seconds since the process
 * started, to line queries up with a request), how long until its answer (queries wait in line:
 * the embedded database answers one at a time) and its rows. Every 5 s, the queries and
 * transactions still waiting after 5 s are listed with where they were sent from (a hang's cause).
 */
function logQueries(client: PGliteThread) {
  const waiting = new Map<number, { what: string; t0: number; stack: string }>();
  let next = 0;
  const track = <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const id = next++;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40; // past drizzle's frames, to the caller's
    const stack = new Error().stack?.split("\n").slice(3).join("\n") ?? "";
    Error.stackTraceLimit = limit;
    waiting.set(id, { what, t0: performance.now(), stack });
    return run().finally(() => waiting.delete(id));
  };
  setInterval(() => {
    const now = performance.now();
    for (const w of waiting.values()) {
      if (now - w.t0 > 5_000) console.error(`[query] still waiting after ${((now - w.t0) / 1000).toFixed(1)} s (sent @${(w.t0 / 1000).toFixed(3)} s): ${w.what}\n${w.stack}`);
    }
  }, 5_000).unref();
  const logged = <Q extends PGliteThread["query"]>(query: Q, where: string): Q =>
    (async (text: string, ...rest: unknown[]) => {
      const t0 = performance.now();
      const result = await track(`${where || "query"}: ${text.replace(/\s+/g, " ").slice(0, 240)}`, () => (query as (...a: unknown[]) => Promise<{ rows: unknown[] }>)(text, ...rest));
      console.error(`[query] @${(t0 / 1000).toFixed(3)} s ${(performance.now() - t0).toFixed(1)} ms, ${result.rows.length} rows${where}: ${text.replace(/\s+/g, " ").slice(0, 240)}`);
      return result;
    }) as Q;
  client.query = logged(client.query.bind(client), "");
  const exec = client.exec.bind(client);
  client.exec = ((text: string, tx?: number) => track(`exec: ${text.replace(/\s+/g, " ").slice(0, 240)}`, () => exec(text, tx))) as PGliteThread["exec"];
  const transaction = client.transaction.bind(client);
  client.transaction = (<T>(fn: (tx: Parameters<Parameters<PGliteThread["transaction"]>[0]>[0]) => Promise<T>) =>
    track("a transaction (from its call to its commit)", () =>
      transaction((tx) => {
        tx.query = logged(tx.query.bind(tx), " (in a transaction)");
        return fn(tx);
      }),
    )) as PGliteThread["transaction"];
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  let releaseLock = () => {};
  let dir: string | undefined;
  if (dataDir) {
    dir = path.join(dataDir, "pglite");
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    releaseLock = await lockDataDir(dataDir);
    try {
      await createPgliteIfMissing(dataDir, dir);
    } catch (err) {
      releaseLock();
      throw err;
    }
  }
  v8.setFlagsFromString("--liftoff-only");
  let client: PGliteThread;
  try {
    client = await PGliteThread.create(dir, { startParams: PGLITE_START_PARAMS });
  } catch (err) {
    releaseLock();
    throw err;
  }
  if (dir) restrictDatabaseFiles(dir);
  if (process.env.PWI_LOG_QUERIES === "1") logQueries(client);
  // Drizzle's PGlite driver on the thread: it uses only what PGliteThread answers.
  const asPglite = client as unknown as PGlite;
  const db = drizzlePglite({ client: asPglite, schema, casing: "snake_case" }) as unknown as Db;
  return {
    db,
    workerDb: db,
    async migrate() {
      const read = (q: string) => client.query<Record<string, unknown>>(q).then((r) => r.rows);
      const before = await countApplied(read);
      await migratePglite(drizzlePglite({ client: asPglite, schema, casing: "snake_case" }), { migrationsFolder });
      return (await countApplied(read)) - before;
    },
    async close() {
      try {
        if (!client.closed) await client.close();
      } finally {
        releaseLock();
      }
    },
  };
}

/**
 * PGlite sets its files' modes itself, whatever the process umask: initdb's are 0666, and it
 * writes pg_internal.init 0644 at every open. Once it has opened, they are made the server's
 * alone (0600, folders 0700), like everything else in DATA_DIR (lib/instance/protect-data-dir.ts).
 */
function restrictDatabaseFiles(dir: string): void {
  const { failed } = restrictTreeToOwner(dir);
  if (failed[0]) console.error(`[db] Other accounts may read ${failed.length} file(s) of the embedded database (${failed[0].path}: ${failed[0].reason}): make the server's account their owner.`);
}

const CREATE_CHILD = path.join(process.cwd(), "db", "create-pglite-child.mjs");

/**
 * A new data directory's database is created by a child process (db/create-pglite-child.mjs):
 * initdb's peak and the malloc heap it leaves behind end with that process, so a first start
 * idles as small as every later one. It is built beside the directory and renamed into place,
 * so a creation cut short (killed, out of disk) is never opened as a database: the next start
 * creates it again.
 */
async function createPgliteIfMissing(dataDir: string, dir: string): Promise<void> {
  if (fs.existsSync(path.join(dir, "PG_VERSION"))) return;
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) return; // not ours to replace: PGlite reports what it finds
  const building = path.join(dataDir, "pglite.creating");
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { mode: 0o700 });
  const params = JSON.stringify(PGLITE_START_PARAMS ?? null);
  await new Promise<void>((resolve, reject) => {
    const child = execFile(process.execPath, [/* turbopackIgnore: true */ CREATE_CHILD, building, params], { env: childProcessEnv({}), maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`Could not create the embedded database in ${dir}: ${String(stderr).trim().slice(-2000) || error.message}`));
      else resolve();
    });
    child.stdin?.end();
  });
  fs.rmSync(dir, { recursive: true, force: true }); // empty, or absent
  fs.renameSync(building, dir);
}

async function countApplied(read: (sql: string) => Promise<Record<string, unknown>[]>): Promise<number> {
  try {
    const rows = await read('select count(*)::int as n from drizzle."__drizzle_migrations"');
    return Number(rows[0]?.n ?? 0);
  } catch {
    return 0; // first run: the bookkeeping table does not exist yet
  }
}

/** How long a start waits for the process holding the embedded database to stop (a restart overlapping the last stop). */
export const LOCK_WAIT_MS = 15_000;

/**
 * PGlite is a single-process database: two processes opening one directory would corrupt
 * it. A lock file with the owner's pid refuses the second one with a sentence to act on,
 * after waiting up to LOCK_WAIT_MS for an owner that is stopping (a restart right after a stop).
 */
async function lockDataDir(dataDir: string, waitMs = LOCK_WAIT_MS): Promise<() => void> {
  const lockPath = path.join(dataDir, "pglite.lock");
  const deadline = Date.now() + waitMs;
  let said = false;
  for (;;) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx", mode: 0o600 });
      const release = () => {
        try {
          if (fs.readFileSync(lockPath, "utf8") === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number(fs.readFileSync(lockPath, "utf8").trim());
    if (!owner || owner === process.pid || !isAlive(owner)) {
      fs.rmSync(lockPath, { force: true }); // stale: its owner is gone
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${owner} (is the dashboard already running?). ` +
          `Stop that process, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL server.`,
      );
    }
    if (!said) console.log(`[db] The embedded database in ${dataDir} is held by process ${owner}; waiting up to ${Math.round(waitMs / 1000)} s for it to stop.`);
    said = true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// ---------------------------------------------------------------------------
// The process-wide database. Kept on globalThis because this module is loaded by more than one
// bundle within one process: the front door (server.ts, with the worker) and Next.js's routes.
// ---------------------------------------------------------------------------

const globalKey = Symbol.for("pwi.database");
/** A worker's connections on PostgreSQL: the dashboard's worker's, beside the requests' 10, and an `npm run worker`'s. */
export const WORKER_POOL_SIZE = 5;
type GlobalWithDb = typeof globalThis & { [globalKey]?: Promise<Database> };

export function getDatabase(): Promise<Database> {
  const g = globalThis as GlobalWithDb;
  if (!g[globalKey]) {
    const { DATABASE_URL, dataDir } = env();
    const opening = openDatabase(DATABASE_URL ? { databaseUrl: DATABASE_URL, workerPoolSize: WORKER_POOL_SIZE } : { dataDir });
    opening.catch(() => {
      if (g[globalKey] === opening) delete g[globalKey];
    });
    g[globalKey] = opening;
  }
  return g[globalKey];
}

export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}

export async function closeDatabase(): Promise<void> {
  const g = globalThis as GlobalWithDb;
  const opening = g[globalKey];
  delete g[globalKey];
  if (opening) await (await opening).close();
}

/** Rows of a raw SQL query; both drivers answer `{ rows }`. */
export async function selectRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/**
 * Whether a database's client is PGlite (else a pg.Pool). By shape, not by class: the server's
 * front door (server.ts) and Next.js's bundles load this module separately and share one database.
 */
function isPglite(client: PGliteThread | pg.Pool): client is PGliteThread {
  return typeof (client as Partial<PGliteThread>).listen === "function";
}

/** Whether `db` is the embedded database, which no other process can open (every job is this process's own). */
export function isEmbeddedDatabase(db: Db): boolean {
  return isPglite((db as unknown as { $client: PGliteThread | pg.Pool }).$client);
}

/** Raw SQL for libraries that bring their own statements (pg-boss), on whichever driver `db` uses. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export function sqlExecutor(db: Db): SqlExecutor {
  const client = (db as unknown as { $client: PGliteThread | pg.Pool }).$client;
  if (isPglite(client)) {
    return {
      async executeSql(text, values) {
        if (values && values.length > 0) return client.query(text, values);
        // Without parameters the text may hold several statements (pg-boss's schema and
        // its BEGIN … COMMIT blocks): PGlite runs those with exec, and rolls back a block that failed.
        return client.script(text);
      },
    };
  }
  return { executeSql: (text, values) => client.query(text, values) };
}

/**
 * Calls `onMessage` for every NOTIFY on `channel`, from any process on the same database:
 * PGlite delivers its own notifications in-process; on PostgreSQL a dedicated connection
 * LISTENs (and reconnects after a second when it drops). Returns the unsubscribe function.
 * `onDisconnect` and `onConnect` mark the gaps in which notifications were missed (PostgreSQL
 * only: PGlite's LISTEN never drops).
 */
export async function listenToChannel(
  db: Db,
  channel: string,
  onMessage: (payload: string) => void,
  gaps: { onConnect?: () => void; onDisconnect?: () => void } = {},
): Promise<() => Promise<void>> {
  const client = (db as unknown as { $client: PGliteThread | pg.Pool }).$client;
  if (isPglite(client)) return client.listen(channel, onMessage);
  const options = (client as unknown as { options: pg.ClientConfig }).options;
  let stopped = false;
  let current: pg.Client | null = null;
  const connect = async (): Promise<void> => {
    const listener = new pg.Client(options);
    listener.on("notification", (n) => {
      if (n.channel === channel) onMessage(n.payload ?? "");
    });
    let dropped = false;
    const retry = () => {
      if (dropped) return;
      dropped = true;
      if (current === listener) {
        current = null;
        gaps.onDisconnect?.();
      }
      listener.end().catch(() => undefined);
      setTimeout(() => {
        if (!stopped) void connect().catch(() => undefined); // a failed attempt schedules the next
      }, 1000);
    };
    listener.on("error", retry);
    listener.on("end", retry);
    try {
      await listener.connect();
      await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      retry();
      throw err;
    }
    current = listener;
    gaps.onConnect?.();
  };
  await connect().catch((err) => {
    stopped = true; // the caller hears the first failure; no retries behind its back
    throw err;
  });
  return async () => {
    stopped = true;
    await current?.end().catch(() => undefined);
  };
}
