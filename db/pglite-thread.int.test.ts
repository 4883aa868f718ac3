import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { inBackground, PGliteThread } from "./pglite-thread";

let db: PGliteThread;
beforeAll(async () => {
  db = await PGliteThread.create(undefined);
  await db.exec("create table t (id int primary key, note text)");
}, 60_000);
afterAll(async () => {
  await db?.close();
});

describe("the embedded database in its own thread", () => {
  it("answers rows, in both row modes, with dates kept as text when Drizzle asks", async () => {
    await db.query("insert into t values ($1, $2), ($3, $4)", [1, "one", 2, "two"]);
    expect((await db.query<{ id: number; note: string }>("select id, note from t order by id")).rows).toEqual([
      { id: 1, note: "one" },
      { id: 2, note: "two" },
    ]);
    expect((await db.query("select id from t where id = $1", [2], { rowMode: "array" })).rows).toEqual([[2]]);
    const kept = await db.query<{ at: unknown }>("select '2026-12-07 10:00:00+00'::timestamptz as at", [], { parsers: { 1184: (v: string) => v } });
    expect(typeof kept.rows[0]!.at).toBe("string");
    const parsed = await db.query<{ at: unknown }>("select '2026-12-07 10:00:00+00'::timestamptz as at");
    expect(parsed.rows[0]!.at).toBeInstanceOf(Date);
    // A parser that changes values cannot cross to the thread: refused before anything is sent.
    expect(() => db.query("select 1", [], { parsers: { 1184: () => 0 } })).toThrow(/only parsers that keep the text/);
  });

  it("hands PostgreSQL's error fields to the caller, and the session stays usable", async () => {
    const err = await db.query("insert into t values (1, 'again')").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: "23505", message: expect.stringContaining("duplicate key") });
    expect((await db.query("select count(*)::int as n from t")).rows).toEqual([{ n: 2 }]);
  });

  it("commits a transaction that ends, rolls back one that throws, and makes statements outside wait for it", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const tx = db.transaction(async (t) => {
      await t.query("insert into t values (10, 'in a transaction')");
      await held;
      order.push("commit");
    });
    await new Promise((r) => setTimeout(r, 50));
    const outside = db.query<{ n: number }>("select count(*)::int as n from t where id = 10").then((r) => {
      order.push("outside");
      return r.rows[0]!.n;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([]);
    release();
    await tx;
    expect(await outside).toBe(1);
    expect(order).toEqual(["commit", "outside"]);

    await expect(
      db.transaction(async (t) => {
        await t.query("insert into t values (11, 'rolled back')");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect((await db.query("select count(*)::int as n from t where id = 11")).rows).toEqual([{ n: 0 }]);
    // A failing statement inside fails the transaction, and nothing of it stays.
    await expect(
      db.transaction(async (t) => {
        await t.query("insert into t values (12, 'first')");
        await t.query("insert into t values (12, 'twice')");
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect((await db.query("select count(*)::int as n from t where id = 12")).rows).toEqual([{ n: 0 }]);
  });

  it("runs a script of statements, rolling back a block that failed", async () => {
    await expect(db.script("BEGIN; insert into t values (20, 'a'); insert into t values (20, 'b'); COMMIT;")).rejects.toMatchObject({ code: "23505" });
    expect((await db.script("select count(*)::int as n from t where id = 20")).rows).toEqual([{ n: 0 }]);
  });

  it("delivers NOTIFY to listeners until they stop listening", async () => {
    const heard: string[] = [];
    const stop = await db.listen("pwi_test", (p) => heard.push(p));
    await db.query("select pg_notify('pwi_test', 'hello')");
    await db.transaction(async (t) => {
      await t.query("select pg_notify('pwi_test', 'after commit')");
    });
    await expect.poll(() => heard).toEqual(["hello", "after commit"]);
    await stop();
    await db.query("select pg_notify('pwi_test', 'unheard')");
    await db.query("select 1");
    expect(heard).toEqual(["hello", "after commit"]);
  });

  it("keeps the caller's thread free while SQL runs", async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    // About a second of SQL in the database's thread.
    await db.query("select count(*) from generate_series(1, 3000000) a, lateral (select md5(a::text)) b");
    delay.disable();
    expect(delay.max / 1e6).toBeLessThan(200);
  });

  it("answers a request's statement before the workers' queued ones, and still runs theirs", async () => {
    // A second of the workers' statements queued (5 ms each), then one of a request.
    const finished: number[] = [];
    const t0 = performance.now();
    const background = inBackground(() => Array.from({ length: 200 }, () => db.query("select pg_sleep(0.005)").then(() => finished.push(performance.now() - t0))));
    await new Promise((r) => setTimeout(r, 20));
    const asked = performance.now();
    await db.query("select 1");
    const waited = performance.now() - asked;
    const before = finished.length;
    await Promise.all(background);
    expect(waited).toBeLessThan(150);
    expect(before).toBeLessThan(100);
    // A transaction of a request also goes first, and the workers' go on after it.
    const order: string[] = [];
    const more = inBackground(() => Array.from({ length: 50 }, () => db.query("select pg_sleep(0.005)").then(() => order.push("background"))));
    await new Promise((r) => setTimeout(r, 10));
    await db.transaction(async (t) => {
      await t.query("select 1");
      order.push("request");
    });
    await Promise.all(more);
    expect(order.indexOf("request")).toBeLessThan(25);
    expect(order.filter((o) => o === "background")).toHaveLength(50);
  });

  it("rejects what was waiting when its thread ends, and every later call", async () => {
    const other = await PGliteThread.create(undefined);
    const waiting = other.query("select pg_sleep(5)");
    await new Promise((r) => setTimeout(r, 100));
    await (other as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(waiting).rejects.toThrow(/has ended/);
    await expect(other.query("select 1")).rejects.toThrow(/has ended/);
  });
});
