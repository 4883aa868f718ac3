// Hostile clients of a service: 10,000 connections opened at once to an environment's MariaDB
// and to its Redis (what an application can do). The flooded engine refuses what is beyond its
// limits, another environment's instance answers meanwhile, and the flooded one answers its
// application again once the connections close, without being restarted.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import type { ServiceSpec } from "@/lib/runtime/driver/runtime-driver";

const { startLocalServices, removeLocalServices, localServiceStatus } = await import("@/lib/runtime/driver/local-services");
const { generateServiceCredentials } = await import("./service-credentials");
const { hostServiceEngine } = await import("./service-host");
const { serviceRuntimeDir } = await import("./service-paths");
const { connectNoFollow } = await import("@/lib/runtime/unix-socket");
const { mariadb, redis, requireServices } = await import("./testing-service-clients");
const { recordingLog } = await import("@/lib/runtime/testing-hooks");

const why = requireServices(["mysql:10.6", "redis:7.0"]);

const project = `hostile-svc-${process.pid}`;
const envs = new Set<string>();
const folders: string[] = [];
afterAll(async () => {
  for (const env of envs) await removeLocalServices(project, env, "test over", { now: true });
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(env: string, type: string) {
  const engine = hostServiceEngine(type);
  if (!engine.ok) throw new Error(engine.reason);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-hostile-svc-"));
  folders.push(dataDir);
  const spec: ServiceSpec = { serviceId: "db", service: { type, disk: 512 }, dataDir, credentials: generateServiceCredentials(engine.engine) };
  const log = recordingLog();
  envs.add(env);
  expect(await startLocalServices(project, env, [spec], log.log, undefined, () => undefined), log.text()).toEqual({ ok: true });
  return { spec, runtimeDir: serviceRuntimeDir(project, env, "db") };
}

/** Opens `count` connections to the socket at once; resolves when each connected or failed, with the open ones. */
async function flood(socketPath: string, count: number): Promise<{ open: net.Socket[]; failed: number }> {
  const open: net.Socket[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<void>((resolve) => {
        const s = connectNoFollow(socketPath);
        s.once("connect", () => {
          open.push(s);
          resolve();
        });
        s.once("error", () => {
          failed++;
          resolve();
        });
        s.on("error", () => undefined);
      }),
    ),
  );
  return { open, failed };
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await fn();
  }
  return last;
}

describe.skipIf(Boolean(why))("a database filled past its disk", () => {
  it("says so in its log and its status; its neighbour is unaffected", async () => {
    const { startServiceInstance } = await import("./service-instance");
    const neighbour = await start("disk-neighbour", "mysql:10.6");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-hostile-disk-"));
    folders.push(dataDir);
    const log = recordingLog();
    const runtimeDir = serviceRuntimeDir(project, "disk-flooded", "db");
    const credentials = generateServiceCredentials("mariadb");
    // A MariaDB's own files take ~100 MB: a disk of 160 MB leaves it ~60 MB, which two tables of 40 MB pass together (each file alone is within it).
    const outcome = await startServiceInstance({ projectId: project, environmentName: "disk-flooded", serviceId: "db", service: { type: "mysql:10.6", disk: 160 }, dataDir, runtimeDir, credentials, log: log.log, graceMs: 10_000, diskCheckMs: 300 });
    if (!outcome.ok) throw new Error(outcome.message);
    try {
      expect(await outcome.instance.waitUntilReady(60_000)).toEqual({ ok: true });
      for (const table of ["a", "b"]) {
        const r = await mariadb(runtimeDir, credentials, `CREATE TABLE ${table} (payload VARCHAR(1024)) ENGINE=InnoDB; INSERT INTO ${table} SELECT REPEAT(MD5(seq), 30) FROM seq_1_to_40000;`);
        expect(r.code, r.err).toBe(0);
      }
      const said = await eventually(async () => log.text(), (t) => /uses [\d,]+ MB, more than its disk of 160 MB/.test(t), 30_000);
      expect(said).toMatch(/The service db uses [\d,]+ MB, more than its disk of 160 MB \(disk in \.magento\/services\.yaml\): writes may fail\. Delete data, or raise its disk and redeploy\./);
      expect(outcome.instance.diskUse).toMatchObject({ over: true, limitBytes: 160 * 1024 * 1024 });
      // The neighbour writes as before.
      const other = await mariadb(neighbour.runtimeDir, neighbour.spec.credentials, "CREATE TABLE t (v INT); INSERT INTO t VALUES (1); SELECT COUNT(*) FROM t;");
      expect(other, other.err).toMatchObject({ code: 0, out: "1" });
      // Data deleted: back under, and said.
      expect((await mariadb(runtimeDir, credentials, "DROP TABLE a; DROP TABLE b;")).code).toBe(0);
      const back = await eventually(async () => log.text(), (t) => /uses [\d,]+ MB of its disk of 160 MB again/.test(t), 30_000);
      expect(back).toMatch(/of its disk of 160 MB again/);
    } finally {
      await outcome.instance.stop("test over", 0);
    }
  }, 120_000);
});

describe.skipIf(Boolean(why))("10,000 connections at once", () => {
  it("to a MariaDB: beyond its 100 it refuses, the neighbour answers, and it answers its application again once they close", async () => {
    const flooded = await start("flooded", "mysql:10.6");
    const neighbour = await start("neighbour", "mysql:10.6");
    const { open, failed } = await flood(path.join(flooded.runtimeDir, "sock", "mysql.sock"), 10_000);
    console.log(`MariaDB flood: ${open.length} connections accepted by the socket, ${failed} refused at once`);
    // Meanwhile the other environment's MariaDB answers.
    const other = await mariadb(neighbour.runtimeDir, neighbour.spec.credentials, "SELECT 42");
    expect(other, other.err).toMatchObject({ code: 0, out: "42" });
    // The flooded one refuses more than its limit rather than falling over.
    const during = await mariadb(flooded.runtimeDir, flooded.spec.credentials, "SELECT 1");
    expect(during.code === 0 || /Too many connections|Can't connect|Lost connection|timeout/i.test(during.err), during.err).toBe(true);
    for (const s of open) s.destroy();
    const after = await eventually(() => mariadb(flooded.runtimeDir, flooded.spec.credentials, "SELECT 7"), (r) => r.code === 0, 30_000);
    expect(after, after.err).toMatchObject({ code: 0, out: "7" });
    const status = localServiceStatus(project, "flooded")[0]!;
    expect(status.state).toBe("running");
    expect(status.restarts).toBe(0);
  }, 120_000);

  it("to a Redis: beyond its 1,000 clients it refuses, and it answers again once they close", async () => {
    const flooded = await start("flooded-redis", "redis:7.0");
    const { open, failed } = await flood(path.join(flooded.runtimeDir, "sock", "redis.sock"), 10_000);
    console.log(`Redis flood: ${open.length} connections accepted by the socket, ${failed} refused at once`);
    for (const s of open) s.destroy();
    const after = await eventually(() => redis(flooded.runtimeDir, flooded.spec.credentials, "PING"), (r) => r.out === "PONG", 30_000);
    expect(after.out, after.err).toBe("PONG");
    const status = localServiceStatus(project, "flooded-redis")[0]!;
    expect(status).toMatchObject({ state: "running", restarts: 0 });
  }, 120_000);
});
