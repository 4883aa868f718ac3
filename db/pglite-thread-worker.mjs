// The embedded database's own thread (db/pglite-thread.ts starts it): PGlite runs here, so the
// server's thread never executes SQL or parses results. Messages in: { id, op, ... }; out:
// { id, result } or { id, error }, and { sub, payload } for each NOTIFY a subscription hears.
// One PGlite, one session: statements outside a transaction wait for a running one, as PGlite
// does in one thread; a transaction's statements name it.
//
// Who goes first: what waits for the session (a statement or script outside a transaction, or
// a transaction's BEGIN) is taken one at a time, the requests' before the workers' (marked
// `background`), each kind in order of arrival; a worker's statement waits at most
// BACKGROUND_WAIT_MS while requests keep coming. A page or /api/health then waits for at most
// the one statement or transaction running, not for every statement a hundred crons queued.
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

const { dataDir, startParams } = workerData;
const ROLLBACK = Symbol("rollback");
/** Parsers that keep a type's text as it is (what Drizzle asks for its dates and intervals). */
const keepText = (oids) => (oids && oids.length > 0 ? Object.fromEntries(oids.map((oid) => [oid, (value) => value])) : undefined);

let pg;
let nextTx = 1;
/** Transactions from BEGIN until they end: PGlite's handle (once begun), how to end it, and its end. */
const transactions = new Map();
/** Open LISTEN subscriptions: how to stop each. */
const subscriptions = new Map();

/** Work waiting for the session, and whether some holds it (a statement, or a transaction until it ends). */
const waiting = { requests: [], background: [] };
let busy = false;
const BACKGROUND_WAIT_MS = 250;

/**
 * PWI_LOG_TURNS_MS=n: each turn (a statement, or a transaction from BEGIN to its end) that held
 * the session n ms or longer, on stderr: when it began (seconds past the minute), how long it
 * held the session and how much of that its statements executed (the rest the transaction
 * waited for its caller), whose it was, and its first statement. Who kept /api/health waiting.
 */
const LOG_TURNS_MS = Number(process.env.PWI_LOG_TURNS_MS ?? 0);
/** The turn holding the session: its statements count and time, when logged. */
let turn = null;
async function timed(message, run) {
  if (!LOG_TURNS_MS || !turn) return run();
  const t0 = performance.now();
  try {
    return await run();
  } finally {
    turn.n++;
    turn.busy += performance.now() - t0;
    turn.label ||= message.text ?? "";
  }
}

function take() {
  // Everything sent meanwhile is read first: the port's own events wait while this thread is busy.
  for (let m = receiveMessageOnPort(parentPort); m; m = receiveMessageOnPort(parentPort)) receive(m.message);
  if (busy) return;
  const oldest = waiting.background[0];
  const job = oldest && (waiting.requests.length === 0 || performance.now() - oldest.since > BACKGROUND_WAIT_MS) ? waiting.background.shift() : waiting.requests.shift();
  if (!job) return;
  busy = true;
  const t0 = performance.now();
  if (LOG_TURNS_MS) turn = { n: 0, busy: 0, label: "" };
  Promise.resolve()
    .then(() => job.run())
    .catch(() => undefined)
    .finally(() => {
      busy = false;
      const held = performance.now() - t0;
      if (LOG_TURNS_MS && held >= LOG_TURNS_MS) {
        const at = ((Date.now() - held) % 60_000) / 1000;
        console.error(`[turn] @${at.toFixed(2)} held ${held.toFixed(1)} ms, executing ${turn.busy.toFixed(1)} ms in ${turn.n} statement(s), ${job.background ? "background" : "request"}: ${turn.label.replace(/\s+/g, " ").slice(0, 120)}`);
      }
      turn = null;
      soon();
    });
}

/** Runs `run` when the session is this caller's turn; `run` resolves when the session is free again. */
function queue(message, run) {
  (message.background ? waiting.background : waiting.requests).push({ run, since: performance.now(), background: Boolean(message.background) });
  soon();
}

/**
 * The next turn is taken after this thread's event loop has turned: PGlite answers synchronously,
 * so taking it at once would run each statement as its message arrives, in the order they were
 * sent, and a request's statement would wait behind every one sent before it.
 */
let scheduled = false;
function soon() {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    take();
  });
}

const reply = (id, result) => parentPort.postMessage({ id, result });
const fail = (id, err) => {
  // Everything PostgreSQL said (code, detail, constraint…) travels with the message.
  const error = { message: err instanceof Error ? err.message : String(err), name: err instanceof Error ? err.name : "Error" };
  if (err && typeof err === "object") for (const [k, v] of Object.entries(err)) if (typeof v === "string" || typeof v === "number") error[k] = v;
  parentPort.postMessage({ id, error });
};
const on = (tx) => {
  if (tx === undefined) return pg;
  const open = transactions.get(tx);
  if (!open?.handle) throw new Error(`The transaction ${tx} has already ended.`);
  return open.handle;
};

/** A transaction's statement runs at once (the session is its); any other waits for its turn. */
function inTurn(message, run) {
  if (message.tx !== undefined) return run();
  return new Promise((resolve, reject) =>
    queue(message, () => {
      const p = run();
      p.then(resolve, reject);
      return p.catch(() => undefined);
    }),
  );
}

async function handle(message) {
  const { id, op } = message;
  switch (op) {
    case "open": {
      pg = await PGlite.create(dataDir, { startParams: startParams ?? undefined });
      return reply(id, null);
    }
    case "query": {
      const { rowMode, keep } = message.options ?? {};
      const result = await inTurn(message, () => timed(message, () => on(message.tx).query(message.text, message.params, { ...(rowMode ? { rowMode } : {}), ...(keep ? { parsers: keepText(keep) } : {}) })));
      return reply(id, { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows });
    }
    case "exec": {
      const results = await inTurn(message, () => timed(message, () => on(message.tx).exec(message.text)));
      return reply(id, results.map((r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows })));
    }
    case "script": {
      // Several statements (pg-boss's schema and its BEGIN … COMMIT blocks): a failure inside
      // such a block must not leave the shared session in an aborted transaction.
      const results = await inTurn(message, () => timed(message, async () => {
        try {
          return await pg.exec(message.text);
        } catch (err) {
          if (pg.isInTransaction()) await pg.exec("ROLLBACK").catch(() => undefined);
          throw err;
        }
      }));
      return reply(id, { rows: results.at(-1)?.rows ?? [] });
    }
    case "begin": {
      // The session is the transaction's from its turn until it ends.
      const tx = nextTx++;
      const open = { handle: null, decide: null, ended: null };
      transactions.set(tx, open);
      open.ended = inTurn(message, () =>
        pg.transaction(async (handle) => {
          open.handle = handle;
          const decision = new Promise((resolve) => (open.decide = resolve));
          reply(id, { tx });
          if (!(await decision)) throw ROLLBACK;
        }),
      )
        .then(
          () => null,
          (err) => (err === ROLLBACK ? null : err),
        )
        .finally(() => transactions.delete(tx));
      // BEGIN itself failed: the caller hears it.
      void open.ended.then((err) => {
        if (err && !open.decide) fail(id, err);
      });
      return;
    }
    case "end": {
      const open = transactions.get(message.tx);
      if (!open?.decide) throw new Error(`The transaction ${message.tx} has already ended.`);
      open.decide(message.commit);
      const err = await open.ended;
      if (err) throw err;
      return reply(id, null);
    }
    case "listen": {
      const stop = await pg.listen(message.channel, (payload) => parentPort.postMessage({ sub: message.sub, payload }));
      subscriptions.set(message.sub, stop);
      return reply(id, null);
    }
    case "unlisten": {
      const stop = subscriptions.get(message.sub);
      subscriptions.delete(message.sub);
      if (stop) await stop();
      return reply(id, null);
    }
    case "close": {
      if (pg && !pg.closed) await pg.close();
      reply(id, null);
      parentPort.close();
      return;
    }
    default:
      throw new Error(`Unknown operation ${op}`);
  }
}

function receive(message) {
  handle(message).catch((err) => fail(message.id, err));
}

parentPort.on("message", receive);
