// Consistent copies and safe pauses of running services, with real engines: MariaDB, PostgreSQL
// and redis-persistent are copied while they serve (MariaDB under a stream of two-table
// transactions, whose copy must hold every transaction whole or not at all), the copy answers to
// the target's credentials only, and a hold stops an instance cleanly and brings it back on the
// same socket the application already holds, with the pause measured.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ServiceSpec } from "@/lib/runtime/driver/runtime-driver";
import type { ServiceCredentials } from "./service-config";

const { copyLocalRunningService, holdLocalServices, setMariadbCopyMethodForTests, startLocalServices, stopLocalServices, removeLocalServices } = await import("@/lib/runtime/driver/local-services");
const { probeServicePrograms } = await import("./service-host");
const { generateServiceCredentials } = await import("./service-credentials");
const { hostServiceEngine } = await import("./service-host");
const { serviceRuntimeDir } = await import("./service-paths");
const { mariadb, psql, redis, requireServices } = await import("./testing-service-clients");
const { recordingLog } = await import("@/lib/runtime/testing-hooks");

const available = (type: string, client: string) => requireServices([type], [client]) === null;

const project = `copy-test-${process.pid}`;
const folders: string[] = [];
const environmentsStarted = new Set<string>();
afterAll(async () => {
  for (const env of environmentsStarted) await removeLocalServices(project, env, "test over", { now: true });
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

const recorded = recordingLog();
const { log } = recorded;
const lines = { join: () => recorded.text() };

let seq = 0;
function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-copy-"));
  folders.push(dir);
  return dir;
}

/** Starts service `db` of a new environment; returns its environment, spec and runtime folder. */
async function startService(type: string, options: { env?: string; dataDir?: string; credentials?: ServiceCredentials } = {}) {
  const env = options.env ?? `env${++seq}`;
  const engine = hostServiceEngine(type);
  if (!engine.ok) throw new Error(engine.reason);
  const spec: ServiceSpec = { serviceId: "db", service: { type, disk: 512 }, dataDir: options.dataDir ?? folder(), credentials: options.credentials ?? generateServiceCredentials(engine.engine) };
  environmentsStarted.add(env);
  const started = await startLocalServices(project, env, [spec], log, undefined, () => undefined);
  expect(started, lines.join()).toEqual({ ok: true });
  return { env, spec, runtimeDir: serviceRuntimeDir(project, env, "db") };
}

/** Copies `from`'s running db into a new folder, then runs a target environment on it with its own credentials. */
async function copyAndStart(from: string, type: string) {
  const engine = hostServiceEngine(type);
  if (!engine.ok) throw new Error(engine.reason);
  const targetDataDir = folder();
  const targetCredentials = generateServiceCredentials(engine.engine);
  const to = `env${++seq}`;
  const copied = await copyLocalRunningService({ projectId: project, from, to, serviceId: "db", targetDataDir, targetCredentials, log });
  expect(copied, lines.join()).toMatchObject({ ok: true });
  const target = await startService(type, { env: to, dataDir: targetDataDir, credentials: targetCredentials });
  return { ...target, ms: copied.ok ? copied.ms : 0, method: copied.ok ? copied.method : "" };
}

(available("mysql:10.6", "/usr/bin/mariadb") ? describe : describe.skip)("a running MariaDB", () => {
  // Physically by mariadb-backup where the host has it (CI installs it), and by a dump and load.
  it.each(["physical", "dump"] as const)("is copied whole while it takes writes (%s): every transaction is in the copy entirely or not at all, and the copy answers to the target's credentials only", async (method) => {
    const backup = probeServicePrograms().mariadb?.backup;
    if (method === "physical" && !backup) {
      if (process.env.PWI_REQUIRE_SERVERS === "1") throw new Error("mariadb-backup of the server's version is not installed");
      console.warn("\n!!! SKIPPED: mariadb-backup of the server's version is not installed (apt-get install mariadb-backup) !!!\n");
      return;
    }
    setMariadbCopyMethodForTests(method);
    const source = await startService("mysql:10.6");
    const setup = await mariadb(source.runtimeDir, source.spec.credentials, "CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, total INT) ENGINE=InnoDB; CREATE TABLE order_lines (id INT PRIMARY KEY AUTO_INCREMENT, order_id INT, amount INT) ENGINE=InnoDB; INSERT INTO orders (total) VALUES (10); INSERT INTO order_lines (order_id, amount) VALUES (1, 10);");
    expect(setup, setup.err).toMatchObject({ code: 0 });
    // A writer that adds an order and its line in one transaction, over and over, while the copy runs.
    let writing = true;
    let written = 0;
    let slowest = 0;
    const writer = (async () => {
      while (writing) {
        const t0 = performance.now();
        const r = await mariadb(source.runtimeDir, source.spec.credentials, "START TRANSACTION; INSERT INTO orders (total) VALUES (7); INSERT INTO order_lines (order_id, amount) VALUES (LAST_INSERT_ID(), 7); COMMIT;");
        slowest = Math.max(slowest, performance.now() - t0);
        expect(r.code, r.err).toBe(0);
        written++;
      }
    })();
    while (written < 2) await new Promise((r) => setTimeout(r, 20));
    let target: Awaited<ReturnType<typeof copyAndStart>>;
    try {
      target = await copyAndStart(source.env, "mysql:10.6");
    } finally {
      setMariadbCopyMethodForTests("physical");
      writing = false;
      await writer;
    }
    expect(target.method).toMatch(method === "physical" ? /^mariadb-backup/ : /^mariadb-dump/);
    const counts = await mariadb(target.runtimeDir, target.spec.credentials, "SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM order_lines), (SELECT SUM(total) FROM orders) = (SELECT SUM(amount) FROM order_lines)");
    expect(counts.code, counts.err).toBe(0);
    const [orders, orderLines, balanced] = counts.out.split("\t").map(Number);
    expect(orders).toBe(orderLines);
    expect(balanced).toBe(1);
    expect(orders).toBeGreaterThanOrEqual(3);
    console.log(`MariaDB copied (${method}) under writes in ${target.ms} ms: ${orders} orders in the copy, ${written + 1} written in all; the slowest write took ${slowest.toFixed(0)} ms`);
    // The target's data answers to its own credentials, not the source's.
    expect((await mariadb(target.runtimeDir, source.spec.credentials, "SELECT 1")).err).toMatch(/Access denied/);
    // The source kept serving and still has everything.
    const sourceCount = await mariadb(source.runtimeDir, source.spec.credentials, "SELECT COUNT(*) FROM orders");
    expect(Number(sourceCount.out)).toBe(written + 1);
  }, 180_000);

  it("whose files include a link (a table with DATA DIRECTORY, made by its application) is dumped instead of copied as files, and the copy is whole", async () => {
    if (!probeServicePrograms().mariadb?.backup) return;
    const source = await startService("mysql:10.6");
    // As the application's user: its own database's tables only.
    const made = await mariadb(source.runtimeDir, source.spec.credentials, "CREATE TABLE elsewhere (v INT) ENGINE=MyISAM DATA DIRECTORY='/srv/data'; INSERT INTO elsewhere VALUES (42);");
    expect(made.code, made.err).toBe(0);
    const target = await copyAndStart(source.env, "mysql:10.6");
    expect(target.method).toMatch(/^mariadb-dump/);
    expect(lines.join()).toMatch(/include symbolic links .* Copying db with a dump and load instead\./s);
    expect((await mariadb(target.runtimeDir, target.spec.credentials, "SELECT v FROM elsewhere")).out.trim()).toBe("42");
  }, 180_000);

  it("is held for a safe copy: stopped cleanly, started again on the same socket, the pause measured", async () => {
    const source = await startService("mysql:10.6");
    expect((await mariadb(source.runtimeDir, source.spec.credentials, "CREATE TABLE t (v INT); INSERT INTO t VALUES (5)")).code).toBe(0);
    const socketDir = path.join(source.runtimeDir, "sock");
    const inode = fs.statSync(socketDir).ino;
    const held = await holdLocalServices(project, source.env, ["db", "absent"], log, async (ids) => {
      expect(ids).toEqual(["db"]);
      // Stopped: nothing answers while the files are copied.
      expect((await mariadb(source.runtimeDir, source.spec.credentials, "SELECT 1")).code).not.toBe(0);
      return fs.readdirSync(path.join(source.spec.dataDir!, "mariadb")).includes("ibdata1");
    });
    expect(held.value).toBe(true);
    expect(held.held).toEqual(["db"]);
    console.log(`MariaDB held (stopped, copied, answering again) for ${held.pausedMs} ms`);
    // The same socket folder (the application's sandbox holds it), answering again with the data.
    expect(fs.statSync(socketDir).ino).toBe(inode);
    expect((await mariadb(source.runtimeDir, source.spec.credentials, "SELECT v FROM t")).out).toBe("5");
    // The service's own log says why it stopped and started.
    const serviceLog = fs.readFileSync(path.join(process.env.DATA_DIR!, "logs", project, source.env, "service-db.log"), "utf8");
    expect(serviceLog).toMatch(/A safe snapshot of env\d+ copies db's files: stopping it cleanly/);
    expect(serviceLog).toContain("db's files are copied: starting it again.");
  }, 120_000);
});

(available("postgresql:15", "/usr/bin/psql") ? describe : describe.skip)("a running PostgreSQL", () => {
  it("is copied by pg_dump | psql into the target, owned by the target's user", async () => {
    const source = await startService("postgresql:15");
    const setup = await psql(source.runtimeDir, source.spec.credentials, "CREATE TABLE notes (v text); INSERT INTO notes VALUES ('from the parent');");
    expect(setup, setup.err).toMatchObject({ code: 0 });
    const target = await copyAndStart(source.env, "postgresql:15");
    const read = await psql(target.runtimeDir, target.spec.credentials, "SELECT v FROM notes; INSERT INTO notes VALUES ('child'); SELECT count(*) FROM notes;");
    expect(read, read.err).toMatchObject({ code: 0 });
    expect(read.out.split("\n")).toEqual(["from the parent", "2"]);
    console.log(`PostgreSQL copied in ${target.ms} ms`);
  }, 180_000);
});

(available("redis-persistent:7.0", "/usr/bin/redis-cli") ? describe : describe.skip)("a running redis-persistent", () => {
  it("is copied by its snapshot stream into an append-only file the target loads and keeps", async () => {
    const source = await startService("redis-persistent:7.0");
    expect((await redis(source.runtimeDir, source.spec.credentials, "SET", "greeting", "from the parent")).out).toBe("OK");
    const target = await copyAndStart(source.env, "redis-persistent:7.0");
    expect((await redis(target.runtimeDir, target.spec.credentials, "GET", "greeting")).out).toBe("from the parent");
    expect((await redis(target.runtimeDir, target.spec.credentials, "SET", "child", "kept")).out).toBe("OK");
    // Its append-only file holds both after a restart.
    await stopLocalServices(project, target.env, "test: restart");
    await startService("redis-persistent:7.0", { env: target.env, dataDir: target.spec.dataDir!, credentials: target.spec.credentials });
    expect((await redis(target.runtimeDir, target.spec.credentials, "MGET", "greeting", "child")).out.split("\n")).toEqual(["from the parent", "kept"]);
    expect((await redis(target.runtimeDir, source.spec.credentials, "GET", "greeting")).out).toMatch(/WRONGPASS|NOAUTH|invalid/i);
    console.log(`redis-persistent copied in ${target.ms} ms`);
  }, 120_000);
});
