// Download database, with real engines: a Starter project whose staging runs MariaDB, Redis and
// PostgreSQL; its dumps come through the route handler as an admin's API token, load into other
// instances with every row (a blob, non-ASCII text, a trigger, a routine), and are refused with a
// sentence to the others and for hostile names. A 150 MB table streams with the server's memory
// flat (numbers printed), the client waits while nobody reads, and no dump process outlives a
// client that goes away, stops reading or takes too long.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import type { Environment } from "@/db/schema";
import { GET } from "@/app/api/projects/[projectId]/environments/[environmentName]/databases/[relationship]/route";
import { startActivityWorker, type Worker } from "@/lib/activity-runners";
import type { ProjectAccess } from "@/lib/auth/permissions";
import { projectTemplate } from "@/lib/git/template";
import { dataPaths } from "@/lib/paths";
import { addProjectMember } from "@/lib/projects/members";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import { removeLocalServices, startLocalServices } from "@/lib/runtime/driver/local-services";
import { setSandboxSupportForTesting } from "@/lib/runtime/sandbox";
import type { ServiceCredentials } from "@/lib/runtime/services/service-config";
import { generateServiceCredentials } from "@/lib/runtime/services/service-credentials";
import { hostServiceEngine } from "@/lib/runtime/services/service-host";
import { serviceRuntimeDir } from "@/lib/runtime/services/service-paths";
import { getEnvironmentServiceCredentials } from "@/lib/runtime/services/stored-credentials";
import { client, mariadb, psql, requireServices, sock } from "@/lib/runtime/services/testing-service-clients";
import { makeUser, memoryLog, starterProject } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { createApiToken } from "@/lib/tokens/api-tokens";
import { requestEnvironmentAction } from "./request-action";
import { getEnvironmentByName, latestDeployment } from "./queries";
import { requestPause } from "./settings";
import { listDatabaseDownloads, openDatabaseDownload } from "./database-download";

const why = requireServices(["mysql:10.6", "postgresql:15", "redis:7.0"]);

type Who = { email: string; token: string };
let db: Db;
let worker: Worker;
let projectId: string;
let admin: Awaited<ReturnType<typeof starterProject>>["admin"];
let access: ProjectAccess;
let staging: Environment;
const who = {} as Record<"admin" | "viewer" | "contributor" | "hidden" | "stranger", Who>;
const folders: string[] = [];
const loaders = new Set<string>();
const loadProject = `dbdl-load-${process.pid}`;
const MiB = 1024 * 1024;

const mysqlDir = () => serviceRuntimeDir(projectId, "staging", "mysql");
const pgDir = () => serviceRuntimeDir(projectId, "staging", "pg");
const credentialsOf = async (serviceId: string, engine: "mariadb" | "postgresql") => (await getEnvironmentServiceCredentials(db, staging.id, serviceId, engine))!;

function download(relationship: string, as: Who, options: { query?: string; signal?: AbortSignal; env?: string } = {}) {
  const env = options.env ?? "staging";
  const headers = { authorization: `Basic ${Buffer.from(`${as.email}:${as.token}`).toString("base64")}` };
  return GET(new Request(`http://localhost/api/projects/${projectId}/environments/${env}/databases/${relationship}${options.query ?? ""}`, { headers, signal: options.signal }), {
    params: Promise.resolve({ projectId, environmentName: env, relationship }),
  });
}

/** The processes of a dump still alive: the client inside its sandbox (its option file's place) and the sandbox around it (its folder). */
function dumpProcesses(): number[] {
  const found: number[] = [];
  const folder = `${dataPaths.environmentServices(projectId, "staging")}/.dump-`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("/run/pwi-conf/dump.cnf") || cmdline.includes("/run/pwi-conf/pgpass") || cmdline.includes(folder)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Waits (up to 10 s) until no dump process is left and the dumps' folders are gone. */
async function nothingLeftRunning(): Promise<void> {
  const deadline = Date.now() + 10_000;
  const leftovers = () => [...dumpProcesses(), ...fs.readdirSync(dataPaths.environmentServices(projectId, "staging")).filter((e) => e.startsWith(".dump-"))];
  while (leftovers().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(leftovers()).toEqual([]);
}

/** The dump client's process (the one writing the dump), once it runs. */
async function clientProcess(): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const pid of dumpProcesses()) {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (/\/(mariadb-dump|pg_dump)$/.test(cmdline[0] ?? "")) return pid;
    }
    if (Date.now() > deadline) throw new Error("No dump client is running.");
    await new Promise((r) => setTimeout(r, 20));
  }
}
const bytesWritten = (pid: number) => Number(/^wchar: (\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, "utf8"))![1]);

/** A service of `type` of its own (another environment's instance), to load a dump into. */
async function loader(type: string): Promise<{ runtimeDir: string; credentials: ServiceCredentials }> {
  const engine = hostServiceEngine(type);
  if (!engine.ok) throw new Error(engine.reason);
  const env = `load${loaders.size + 1}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-dbdl-data-"));
  folders.push(dataDir);
  const credentials = generateServiceCredentials(engine.engine);
  loaders.add(env);
  const log = memoryLog();
  const started = await startLocalServices(loadProject, env, [{ serviceId: "db", service: { type, disk: 1024 }, dataDir, credentials }], log, undefined, () => undefined);
  expect(started, log.lines.join("\n")).toEqual({ ok: true });
  return { runtimeDir: serviceRuntimeDir(loadProject, env, "db"), credentials };
}

/** A folder holding `dump.sql`, for a client's sandbox (at /run/services/dump). */
function dumpFolder(text: Buffer | string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-dbdl-dump-"));
  folders.push(dir);
  fs.writeFileSync(path.join(dir, "dump.sql"), text);
  fs.chmodSync(dir, 0o755);
  return dir;
}

beforeAll(async () => {
  if (why) return;
  await (await getDatabase()).migrate();
  db = await getDb();
  const project = await starterProject(db, "dbdl");
  ({ admin, access } = project);
  projectId = project.id;
  // Staging's first deploy runs PostgreSQL too (its branch holds the relationship before the worker starts).
  const template = projectTemplate("x");
  await commitOn(
    projectId,
    "staging",
    {
      ".magento/services.yaml": `${template[".magento/services.yaml"]}\npg:\n  type: postgresql:15\n  disk: 512\n`,
      ".magento.app.yaml": template[".magento.app.yaml"]!.replace('  opensearch: "opensearch:opensearch"\n', '  opensearch: "opensearch:opensearch"\n  pgdb: "pg:postgresql"\n'),
    },
    "A PostgreSQL database",
  );
  const token = async (user: { id: string; email: string; name: string | null; isAdmin: boolean }) => ({ email: user.email, token: (await createApiToken(db, user, "t")).token });
  who.admin = await token(admin);
  const member = async (roles: { staging: "none" | "viewer" | "contributor" | "admin" }) => {
    const user = await makeUser(db);
    await addProjectMember(db, admin, projectId, user.email, { role: "viewer", production: "viewer", development: "viewer", ...roles });
    return token(user);
  };
  who.viewer = await member({ staging: "viewer" });
  who.contributor = await member({ staging: "contributor" });
  who.hidden = await member({ staging: "none" });
  who.stranger = await token(await makeUser(db));
  worker = startActivityWorker(db);
  await worker.idle();
  staging = (await getEnvironmentByName(db, projectId, "staging"))!;
  expect(staging.status).toBe("active");
  expect(getRuntimeDriver().serviceStatus(projectId, "staging").map((s) => [s.serviceId, s.state]).sort()).toEqual([["mysql", "running"], ["pg", "running"], ["redis", "running"]]);
}, 240_000);

afterAll(async () => {
  if (why) return;
  await worker?.stop();
  const driver = getRuntimeDriver();
  for (const env of ["master", "staging"]) {
    await driver.removeServices(projectId, env, "The test is over.", { now: true });
    await driver.stopEnvironment(projectId, env, "The test is over.", { now: true });
  }
  for (const env of loaders) await removeLocalServices(loadProject, env, "The test is over.", { now: true });
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
  await closeDatabase();
}, 120_000);

describe.skipIf(Boolean(why))("Download database", () => {
  it("is an admin's: viewers and contributors get 403 with a sentence, who cannot see the environment 404", async () => {
    for (const as of [who.viewer, who.contributor]) {
      const res = await download("database", as);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: "Downloading a database of Staging needs the admin role on Staging environments." });
    }
    for (const as of [who.hidden, who.stranger]) expect((await download("database", as)).status).toBe(404);
    expect(dumpProcesses()).toEqual([]);
    // The page says the same: links for an admin, the reason for a viewer; Redis and OpenSearch are no databases.
    const links = listDatabaseDownloads(access, staging, (await latestDeployment(db, staging.id))!.config);
    expect(links.map((l) => [l.relationship, l.serviceId, l.label, l.reason])).toEqual([
      ["database", "mysql", "MariaDB", null],
      ["pgdb", "pg", "PostgreSQL", null],
    ]);
    expect(links[0]!.href).toBe(`/api/projects/${projectId}/environments/staging/databases/database`);
    const viewerAccess = { ...access, environmentRoles: { ...access.environmentRoles, staging: "viewer" as const } };
    expect(listDatabaseDownloads(viewerAccess, staging, (await latestDeployment(db, staging.id))!.config).map((l) => l.reason)).toEqual([
      "Downloading a database of Staging needs the admin role on Staging environments.",
      "Downloading a database of Staging needs the admin role on Staging environments.",
    ]);
  });

  it("refuses hostile and unknown names with a sentence, and relationships that lead to no database", async () => {
    const cases: [string, number, RegExp][] = [
      ["..", 400, /no slashes or other path characters/],
      ["..%2F..%2Fetc", 400, /no slashes or other path characters/],
      ["a%2Fb", 400, /no slashes or other path characters/],
      ["data%00base", 400, /no slashes or other path characters/],
      ["%ZZ", 400, /malformed %-escape/],
      ["x".repeat(65), 400, /at most 64 characters/],
      ["nosuch", 404, /^Staging has no relationship “nosuch” in its deployed \.magento\.app\.yaml\.$/],
      ["redis", 400, /^redis is a Redis cache: there is no database to dump\.$/],
      ["opensearch", 400, /^opensearch leads to opensearch \(opensearch:2\), which is not a database/],
      ["constructor", 404, /no relationship “constructor”/],
    ];
    for (const [name, status, sentence] of cases) {
      const res = await download(name, who.admin);
      expect(res.status, name).toBe(status);
      expect(((await res.json()) as { error: string }).error, name).toMatch(sentence);
    }
    expect((await download("database", who.admin, { query: "?gzip=yes" })).status).toBe(400);
    expect(dumpProcesses()).toEqual([]);
  });

  it("streams a MariaDB dump that loads into another instance with every row, blob, trigger and routine; gzip-compressed on request", async () => {
    const credentials = await credentialsOf("mysql", "mariadb");
    const setup = await mariadb(
      mysqlDir(),
      credentials,
      [
        "CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer VARCHAR(100), total INT, receipt BLOB) ENGINE=InnoDB",
        "INSERT INTO orders (customer, total, receipt) VALUES ('Grüße aus 東京', 42, UNHEX('00FF0D0A275C22')), ('O''Brien; DROP TABLE orders', 7, NULL)",
        "CREATE TRIGGER orders_bi BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = NEW.total + 1",
        "CREATE PROCEDURE order_count() SELECT COUNT(*) FROM orders",
      ].join(";"),
    );
    expect(setup, setup.err).toMatchObject({ code: 0 });

    const asked = Date.now();
    const res = await download("database", who.admin);
    const answered = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/sql");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="${projectId}-staging-database-\\d{8}T\\d{6}Z\\.sql"$`));
    const text = await res.text();
    console.log(`MariaDB dump (small): answered in ${answered - asked} ms, ${text.length} bytes`);
    expect(text.split("\n").slice(0, 3).join("\n")).toMatch(/-- MariaDB dump/);
    expect(text).toContain("CREATE TABLE `orders`");
    expect(text).toMatch(/-- Dump completed on /);
    expect(text).toContain("0x00FF0D0A275C22"); // --hex-blob
    expect(text).not.toContain(credentials.adminPassword);

    const target = await loader("mysql:10.6");
    const loaded = await client({ db: sock(target.runtimeDir), dump: dumpFolder(text) }, ["/usr/bin/mariadb", "--no-defaults", "-S", "/run/services/db/mysql.sock", "-u", "root", "-e", "source /run/services/dump/dump.sql"], { MYSQL_PWD: target.credentials.adminPassword });
    expect(loaded, loaded.err).toMatchObject({ code: 0 });
    const rows = await mariadb(target.runtimeDir, target.credentials, "SELECT customer, total, HEX(receipt) FROM orders ORDER BY id", "root");
    expect(rows.out.split("\n")).toEqual(["Grüße aus 東京\t42\t00FF0D0A275C22", "O'Brien; DROP TABLE orders\t7\tNULL"]);
    const objects = await mariadb(target.runtimeDir, target.credentials, "SELECT (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='main' AND TRIGGER_NAME='orders_bi'), (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='main' AND ROUTINE_NAME='order_count')", "root");
    expect(objects.out).toBe("1\t1");

    const gz = await download("database", who.admin, { query: "?gzip=1" });
    expect(gz.status).toBe(200);
    expect(gz.headers.get("content-type")).toBe("application/gzip");
    expect(gz.headers.get("content-disposition")).toMatch(/-staging-database-\d{8}T\d{6}Z\.sql\.gz"$/);
    const unzipped = zlib.gunzipSync(Buffer.from(await gz.arrayBuffer())).toString("utf8");
    expect(unzipped).toContain("CREATE TABLE `orders`");
    expect(unzipped).toMatch(/-- Dump completed on /);
    await nothingLeftRunning();
  }, 120_000);

  it("streams a PostgreSQL dump that loads into another instance with every row", async () => {
    const credentials = await credentialsOf("pg", "postgresql");
    const setup = await psql(pgDir(), credentials, "CREATE TABLE notes (id serial PRIMARY KEY, body text, data bytea); INSERT INTO notes (body, data) VALUES ('Grüße aus 東京', '\\x00ff0d0a'), ('it''s; DROP TABLE notes', NULL);");
    expect(setup, setup.err).toMatchObject({ code: 0 });
    const res = await download("pgdb", who.admin);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="${projectId}-staging-pgdb-\\d{8}T\\d{6}Z\\.sql"$`));
    const text = await res.text();
    expect(text).toMatch(/^--\n-- PostgreSQL database dump\n/);
    expect(text).toContain("-- PostgreSQL database dump complete");
    expect(text).not.toContain(credentials.adminPassword);

    const target = await loader("postgresql:15");
    const loaded = await client(
      { db: sock(target.runtimeDir), dump: dumpFolder(text) },
      ["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "/run/services/dump/dump.sql", `host=/run/services/db user=${target.credentials.username} dbname=main`],
      { PGPASSWORD: target.credentials.password },
    );
    expect(loaded, loaded.err).toMatchObject({ code: 0 });
    const rows = await psql(target.runtimeDir, target.credentials, "SELECT body, encode(data, 'hex') FROM notes ORDER BY id; SELECT nextval('notes_id_seq');");
    expect(rows.out.split("\n")).toEqual(["Grüße aus 東京|00ff0d0a", "it's; DROP TABLE notes|", "3"]);
    await nothingLeftRunning();
  }, 120_000);

  describe("of a 150 MB table", () => {
    beforeAll(async () => {
      const credentials = await credentialsOf("mysql", "mariadb");
      // 131,072 numbers by doubling (INSERT … SELECT from itself), then 1,184 characters a row in four batches.
      const seq = await mariadb(mysqlDir(), credentials, ["CREATE TABLE seq (n INT PRIMARY KEY)", "INSERT INTO seq VALUES (1)", ...Array.from({ length: 17 }, () => "INSERT INTO seq SELECT n + (SELECT MAX(n) FROM seq) FROM seq"), "CREATE TABLE big (id INT PRIMARY KEY, pad TEXT) ENGINE=InnoDB"].join(";"));
      expect(seq, seq.err).toMatchObject({ code: 0 });
      for (let batch = 0; batch < 4; batch++) {
        const r = await mariadb(mysqlDir(), credentials, `INSERT INTO big SELECT n, REPEAT(MD5(n), 37) FROM seq WHERE n > ${batch * 32768} AND n <= ${(batch + 1) * 32768}`);
        expect(r, r.err).toMatchObject({ code: 0 });
      }
      expect((await mariadb(mysqlDir(), credentials, "SELECT COUNT(*) FROM big")).out).toBe("131072");
    }, 240_000);

    it("streams with the server's memory flat (throughput, time to first byte and RSS printed)", async () => {
      const rssBefore = process.memoryUsage.rss();
      let rssPeak = rssBefore;
      const asked = performance.now();
      const res = await download("database", who.admin);
      const headersAt = performance.now();
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let bytes = 0;
      let firstAt = 0;
      let tail = "";
      for (let n = 0; ; n++) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!firstAt) firstAt = performance.now();
        bytes += value.length;
        tail = (tail + Buffer.from(value).toString("latin1")).slice(-200);
        if (n % 64 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      }
      const seconds = (performance.now() - asked) / 1000;
      const rssAfter = process.memoryUsage.rss();
      rssPeak = Math.max(rssPeak, rssAfter);
      console.log(
        `MariaDB dump of a 150 MB table: ${(bytes / MiB).toFixed(1)} MiB in ${seconds.toFixed(2)} s = ${(bytes / MiB / seconds).toFixed(1)} MiB/s; ` +
          `headers after ${(headersAt - asked).toFixed(0)} ms, first byte after ${(firstAt - asked).toFixed(0)} ms; ` +
          `server RSS ${(rssBefore / MiB).toFixed(0)} MiB before, peak +${((rssPeak - rssBefore) / MiB).toFixed(1)} MiB, after +${((rssAfter - rssBefore) / MiB).toFixed(1)} MiB`,
      );
      expect(bytes).toBeGreaterThan(150 * MiB);
      expect(tail).toMatch(/-- Dump completed on [^\n]*\n$/);
      // Held whole, the dump alone would add 150 MiB.
      expect(rssPeak - rssBefore).toBeLessThan(64 * MiB);
      await nothingLeftRunning();
    }, 180_000);

    it("gzip-compressed, streams too (numbers printed)", async () => {
      const asked = performance.now();
      const res = await download("database", who.admin, { query: "?gzip=1" });
      const reader = res.body!.getReader();
      let bytes = 0;
      const gunzip = zlib.createGunzip();
      let plain = 0;
      gunzip.on("data", (b: Buffer) => (plain += b.length));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        if (!gunzip.write(value)) await new Promise((r) => gunzip.once("drain", r));
      }
      await new Promise((r) => gunzip.end(r));
      const seconds = (performance.now() - asked) / 1000;
      console.log(`MariaDB dump of a 150 MB table, gzip level 1: ${(bytes / MiB).toFixed(1)} MiB (of ${(plain / MiB).toFixed(1)} MiB) in ${seconds.toFixed(2)} s = ${(plain / MiB / seconds).toFixed(1)} MiB/s of SQL`);
      expect(plain).toBeGreaterThan(150 * MiB);
      expect(bytes).toBeLessThan(plain / 1.5);
      await nothingLeftRunning();
    }, 180_000);

    it("waits while nobody reads: the client blocks on its full pipe, nothing piles up in the server", async () => {
      const controller = new AbortController();
      const res = await download("database", who.admin, { signal: controller.signal });
      const reader = res.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      const pid = await clientProcess();
      const rssBefore = process.memoryUsage.rss();
      // Until its writes stop (the pipe and the socket's buffer full), then a while longer: nothing more is written.
      let written = bytesWritten(pid);
      for (let stable = 0; stable < 5; ) {
        await new Promise((r) => setTimeout(r, 200));
        const now = bytesWritten(pid);
        stable = now === written ? stable + 1 : 0;
        written = now;
      }
      await new Promise((r) => setTimeout(r, 1000));
      expect(bytesWritten(pid)).toBe(written);
      console.log(`Nobody reading: the client stopped after writing ${(written / MiB).toFixed(2)} MiB; server RSS +${((process.memoryUsage.rss() - rssBefore) / MiB).toFixed(1)} MiB`);
      expect(written).toBeLessThan(8 * MiB);
      // The client goes away mid-stream (its request's signal): the dump and its sandbox end.
      controller.abort();
      await nothingLeftRunning();
      await reader.cancel().catch(() => undefined);
    }, 60_000);

    it("ends when the client cancels the body, stops reading for too long, or it takes longer than its limit", async () => {
      const cancelled = await download("database", who.admin);
      const reader = cancelled.body!.getReader();
      await reader.read();
      await clientProcess();
      await reader.cancel();
      await nothingLeftRunning();

      const idle = await openDatabaseDownload(db, access, staging, "database", { idleMs: 300 });
      const idleReader = idle.body.getReader();
      await idleReader.read();
      await new Promise((r) => setTimeout(r, 600));
      await expect(async () => {
        for (;;) if ((await idleReader.read()).done) break;
      }).rejects.toThrow(/its client took nothing for 0\.3 s/);
      await nothingLeftRunning();

      const slow = await openDatabaseDownload(db, access, staging, "database", { timeoutMs: 800 });
      const slowReader = slow.body.getReader();
      await expect(async () => {
        for (;;) {
          if ((await slowReader.read()).done) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }).rejects.toThrow(/mariadb-dump ran longer than its limit of 0\.8 s and was stopped\./);
      await nothingLeftRunning();
    }, 60_000);
  });

  it("needs its service running here: 409 with a sentence without a sandbox, when paused, when inactive", async () => {
    setSandboxSupportForTesting({ ok: false, reason: "bubblewrap (bwrap) is not installed" });
    try {
      const res = await download("database", who.admin);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ error: "mariadb-dump runs only in the sandbox, and bubblewrap (bwrap) is not installed." });
    } finally {
      setSandboxSupportForTesting(undefined);
    }

    await requestPause(db, admin, projectId, "staging", true);
    await worker.idle();
    staging = (await getEnvironmentByName(db, projectId, "staging"))!;
    for (const rel of ["database", "pgdb"]) {
      const res = await download(rel, who.admin);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ error: `The service ${rel === "database" ? "mysql" : "pg"} is not running: resume the environment first.` });
    }
    const config = (await latestDeployment(db, staging.id))!.config;
    expect(listDatabaseDownloads(access, staging, config).map((l) => l.reason)).toEqual(["The service mysql is not running: resume the environment first.", "The service pg is not running: resume the environment first."]);

    await requestEnvironmentAction(db, admin, projectId, "staging", { action: "deactivate", confirmation: "staging" });
    await worker.idle();
    staging = (await getEnvironmentByName(db, projectId, "staging"))!;
    expect(staging.status).toBe("inactive");
    const res = await download("database", who.admin);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: "The service mysql is not running: activate the environment first." });
    expect(dumpProcesses()).toEqual([]);
  }, 120_000);
});
