import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, selectRows, type Database } from "./client";

// A new data directory's database is created by a child process and renamed into place.
describe("the embedded database in a data directory", () => {
  const dirs: string[] = [];
  const open: Database[] = [];
  const dataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-open-pglite-"));
    dirs.push(dir);
    return dir;
  };
  const openIn = async (dir: string) => {
    const database = await openDatabase({ dataDir: dir });
    open.push(database);
    return database;
  };
  afterEach(async () => {
    for (const database of open.splice(0)) await database.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is created on the first open, migrated, and keeps its rows across a reopen", async () => {
    const dir = dataDir();
    const first = await openIn(dir);
    expect(fs.existsSync(path.join(dir, "pglite", "PG_VERSION"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "pglite.creating"))).toBe(false);
    expect(await first.migrate()).toBeGreaterThan(0);
    await first.db.execute(sql`insert into instance_settings (key, value) values ('open-pglite-test', '"kept"'::jsonb)`);
    await open.pop()!.close();

    const again = await openIn(dir);
    expect(await again.migrate()).toBe(0);
    const rows = await selectRows<{ value: string }>(again.db, sql`select value from instance_settings where key = 'open-pglite-test'`);
    expect(rows).toEqual([{ value: "kept" }]);
    // Opened with the memory settings of client.ts (what an idle instance holds depends on them).
    const settings = await selectRows<{ name: string; setting: string; unit: string | null }>(again.db, sql`select name, setting, unit from pg_settings where name in ('shared_buffers', 'max_connections', 'work_mem') order by name`);
    expect(settings).toEqual([
      { name: "max_connections", setting: "5", unit: null },
      { name: "shared_buffers", setting: "512", unit: "8kB" },
      { name: "work_mem", setting: "2048", unit: "kB" },
    ]);
  });

  it("creates it again when a creation was cut short (a half-built directory beside it is never opened)", async () => {
    const dir = dataDir();
    fs.mkdirSync(path.join(dir, "pglite.creating", "base"), { recursive: true });
    fs.writeFileSync(path.join(dir, "pglite.creating", "PG_VERSION"), "17\n"); // looks like a database, is not one
    fs.mkdirSync(path.join(dir, "pglite")); // the empty directory an older start left
    const database = await openIn(dir);
    expect(await database.migrate()).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, "pglite.creating"))).toBe(false);
  });
});
