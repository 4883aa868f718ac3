/**
 * Runs a suite once on embedded PGlite and once on PostgreSQL (when the global setup
 * could provide one), each on a fresh, migrated database.
 */
import crypto from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { openDatabase, type Database, type Db } from "@/db/client";

/** A fresh database on the throwaway PostgreSQL server, and how to drop it. */
export async function createPostgresTestDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `test_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

interface Backend {
  name: string;
  available: boolean;
  open(): Promise<Database & { drop(): Promise<void> }>;
}

function backends(): Backend[] {
  const postgresUrl = inject("postgresUrl");
  return [
    {
      name: "PGlite",
      available: true,
      async open() {
        const database = await openDatabase({ inMemory: true });
        return { ...database, drop: () => Promise.resolve() };
      },
    },
    {
      name: "PostgreSQL",
      available: Boolean(postgresUrl),
      async open() {
        const created = await createPostgresTestDatabase(postgresUrl!);
        const database = await openDatabase({ databaseUrl: created.url, poolSize: 4 });
        return { ...database, drop: created.drop };
      },
    },
  ];
}

export interface DatabaseContext {
  db(): Db;
  database(): Database;
  /** "PGlite" or "PostgreSQL": a test that does not depend on the database may run on one only. */
  backend: string;
}

export function describeEachDatabase(title: string, suite: (ctx: DatabaseContext) => void) {
  for (const backend of backends()) {
    describe.skipIf(!backend.available)(`${title} [${backend.name}]`, () => {
      let database: (Database & { drop(): Promise<void> }) | undefined;
      beforeAll(async () => {
        database = await backend.open();
        await database.migrate();
      });
      afterAll(async () => {
        await database?.close();
        await database?.drop();
      });
      suite({
        db: () => database!.db,
        database: () => database!,
        backend: backend.name,
      });
    });
  }
}
