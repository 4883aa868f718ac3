import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { openDatabase } from "@/db/client";
import { createPostgresTestDatabase } from "@/db/testing/databases";

const postgresUrl = inject("postgresUrl");

describe.skipIf(!postgresUrl)("the workers' own connections [PostgreSQL]", () => {
  it("a request is answered while every connection of the workers is taken, and close ends both pools", async () => {
    const created = await createPostgresTestDatabase(postgresUrl!);
    const database = await openDatabase({ databaseUrl: created.url, poolSize: 1, workerPoolSize: 1 });
    expect(database.workerDb).not.toBe(database.db);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    // The workers' only connection, held by a transaction until released.
    const transaction = database.workerDb.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      entered();
      await held;
    });
    await inside;
    let workersAnswered = false;
    const waitingWorker = database.workerDb.execute(sql`select 1`).then(() => (workersAnswered = true));
    // A request's statement has a connection of its own: answered while the workers' waits.
    const t0 = performance.now();
    await database.db.execute(sql`select 1`);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(workersAnswered).toBe(false);
    release();
    await transaction;
    await waitingWorker;
    expect(workersAnswered).toBe(true);
    await database.close();
    await expect(database.db.execute(sql`select 1`)).rejects.toThrow();
    await expect(database.workerDb.execute(sql`select 1`)).rejects.toThrow();
    await created.drop();
  });

  it("without workerPoolSize (an `npm run worker`), the workers use the one pool", async () => {
    const created = await createPostgresTestDatabase(postgresUrl!);
    const database = await openDatabase({ databaseUrl: created.url, poolSize: 2 });
    try {
      expect(database.workerDb).toBe(database.db);
    } finally {
      await database.close();
      await created.drop();
    }
  });
});
