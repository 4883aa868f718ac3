// The embedded database's own thread (db/pglite-thread.ts starts it): PGlite runs here, so the
// server's thread never executes SQL or parses results. Messages in: { id, op, ... }; out:
// { id, result } or { id, error }, and { sub, payload } for each NOTIFY a subscription hears.
// One PGlite, one session: statements outside a transaction wait for a running one, as PGlite
// does in one thread; a transaction's statements name it.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

const { dataDir, startParams } = workerData;
const ROLLBACK = Symbol("rollback");
/** Parsers that keep a type's text as it is (what Drizzle asks for its dates and intervals). */
const keepText = (oids) => (oids && oids.length > 0 ? Object.fromEntries(oids.map((oid) => [oid, (value) => value])) : undefined);

let pg;
let nextTx = 1;
/** Open transactions: their PGlite handle, and how to end them. */
const transactions = new Map();
/** Open LISTEN subscriptions: how to stop each. */
const subscriptions = new Map();

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
  if (!open) throw new Error(`The transaction ${tx} has already ended.`);
  return open.handle;
};

async function handle(message) {
  const { id, op } = message;
  switch (op) {
    case "open": {
      pg = await PGlite.create(dataDir, { startParams: startParams ?? undefined });
      return reply(id, null);
    }
    case "query": {
      const { rowMode, keep } = message.options ?? {};
      const result = await on(message.tx).query(message.text, message.params, { ...(rowMode ? { rowMode } : {}), ...(keep ? { parsers: keepText(keep) } : {}) });
      return reply(id, { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows });
    }
    case "exec": {
      const results = await on(message.tx).exec(message.text);
      return reply(id, results.map((r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows })));
    }
    case "script": {
      // Several statements (pg-boss's schema and its BEGIN … COMMIT blocks): a failure inside
      // such a block must not leave the shared session in an aborted transaction.
      try {
        const results = await pg.exec(message.text);
        return reply(id, { rows: results.at(-1)?.rows ?? [] });
      } catch (err) {
        if (pg.isInTransaction()) await pg.exec("ROLLBACK").catch(() => undefined);
        throw err;
      }
    }
    case "begin": {
      const tx = nextTx++;
      let started = false;
      const ended = pg
        .transaction(async (handle) => {
          const decision = new Promise((resolve) => transactions.set(tx, { handle, decide: resolve }));
          started = true;
          reply(id, { tx });
          if (!(await decision)) throw ROLLBACK;
        })
        .then(
          () => null,
          (err) => (err === ROLLBACK ? null : err),
        )
        .finally(() => transactions.delete(tx));
      // BEGIN itself failed: the caller hears it.
      void ended.then((err) => {
        if (!started && err) fail(id, err);
      });
      transactions.set(`ended:${tx}`, ended);
      return;
    }
    case "end": {
      const open = transactions.get(message.tx);
      const ended = transactions.get(`ended:${message.tx}`);
      transactions.delete(`ended:${message.tx}`);
      if (!open || !ended) throw new Error(`The transaction ${message.tx} has already ended.`);
      open.decide(message.commit);
      const err = await ended;
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

parentPort.on("message", (message) => {
  handle(message).catch((err) => fail(message.id, err));
});
