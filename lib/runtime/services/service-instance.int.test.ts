// Real MariaDB, Redis, PostgreSQL and RabbitMQ instances in the sandbox: started, reached over their
// sockets from an application-like sandbox as the generated user, stopped, started again,
// kept apart from each other, and started again by their supervisor after SHUTDOWN.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ServiceCredentials } from "./service-config";
import type { ServiceInstance, ServiceInstanceSpec } from "./service-instance";

const { startServiceInstance } = await import("./service-instance");
const { generateServiceCredentials } = await import("./service-credentials");
const { hostServiceEngine } = await import("./service-host");
const { serviceRuntimeDir } = await import("./service-paths");
const { client, mariadb, psql, redis, requireServices, sock } = await import("./testing-service-clients");

const available = (type: string, client: string) => requireServices([type], [client]) === null;
const hasMariadb = available("mysql:10.6", "/usr/bin/mariadb");
const hasRedis = available("redis:7.0", "/usr/bin/redis-cli");
const hasPostgresql = available("postgresql:15", "/usr/bin/psql");

const started: ServiceInstance[] = [];
const dataDirs: string[] = [];
afterAll(async () => {
  await Promise.all(started.map((i) => i.stop("test over", 0)));
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function memoryLog() {
  const lines: string[] = [];
  return { target: { line: (text: string) => void lines.push(text) }, text: () => lines.join("\n") };
}

let seq = 0;
/** A fresh environment's service: its data folder and runtime folder, new credentials. */
function newService(type: string, options: { disk?: number; persistent?: boolean; credentials?: ServiceCredentials } = {}) {
  const id = `s${++seq}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-svc-data-"));
  dataDirs.push(dataDir);
  const runtimeDir = serviceRuntimeDir("svc-test", `env${process.pid}-${id}`, "db");
  const engine = hostServiceEngine(type);
  if (!engine.ok) throw new Error(engine.reason);
  const log = memoryLog();
  const spec: ServiceInstanceSpec = {
    projectId: "svc-test",
    environmentName: `env-${id}`,
    serviceId: "db",
    service: { type, disk: options.disk ?? 512 },
    dataDir: options.persistent === false ? null : dataDir,
    runtimeDir,
    credentials: options.credentials ?? generateServiceCredentials(engine.engine),
    log: log.target,
    graceMs: 10_000,
  };
  return { spec, log, dataDir, runtimeDir };
}

async function run(spec: ServiceInstanceSpec, log: { text(): string }): Promise<{ instance: ServiceInstance; ms: number }> {
  const t0 = Date.now();
  const outcome = await startServiceInstance(spec);
  if (!outcome.ok) throw new Error(outcome.message);
  started.push(outcome.instance);
  const ready = await outcome.instance.waitUntilReady(60_000);
  expect(ready, log.text()).toEqual({ ok: true });
  return { instance: outcome.instance, ms: Date.now() - t0 };
}

(hasMariadb ? describe : describe.skip)("a MariaDB service", () => {
  it("initialises, answers over its socket only to its user, keeps its rows across a restart", async () => {
    const s = newService("mysql:10.6", { disk: 1024 });
    const first = await run(s.spec, s.log);
    console.log(`MariaDB first start (initialising) to ready: ${first.ms} ms`);
    expect(s.log.text()).toMatch(/Starting MariaDB 10\.\d+ \(service db\) \(mysql:10\.6 requested; this host runs MariaDB 10\.\d+\): memory 128 MB/);
    const write = await mariadb(s.runtimeDir, s.spec.credentials, "CREATE TABLE visits (n INT); INSERT INTO visits VALUES (41), (1); SELECT SUM(n) FROM visits;");
    expect(write, write.err).toMatchObject({ code: 0, out: "42" });
    // A wrong password, and the root account without the admin password, are refused.
    expect((await client({ db: sock(s.runtimeDir) }, ["/usr/bin/mariadb", "--no-defaults", "-S", "/run/services/db/mysql.sock", "-u", "user", "main", "-e", "SELECT 1"], { MYSQL_PWD: "wrong-password-123" })).err).toMatch(/Access denied/);
    expect((await client({ db: sock(s.runtimeDir) }, ["/usr/bin/mariadb", "--no-defaults", "-S", "/run/services/db/mysql.sock", "-u", "root", "-e", "SELECT 1"])).err).toMatch(/Access denied/);
    // The user reaches its database only.
    expect((await mariadb(s.runtimeDir, s.spec.credentials, "SELECT COUNT(*) FROM mysql.user")).err).toMatch(/denied/);
    // No TCP port: skip-networking.
    expect((await mariadb(s.runtimeDir, s.spec.credentials, "SELECT @@skip_networking")).out).toBe("1");

    await first.instance.stop("test: restart");
    expect(first.instance.state).toBe("stopped");
    expect(first.instance.lastExit?.signal ?? null, s.log.text()).toBeNull(); // a clean shutdown, not a kill
    const again = await run(s.spec, s.log);
    console.log(`MariaDB restart to ready: ${again.ms} ms; memory ${JSON.stringify(again.instance.memory())}`);
    expect((await mariadb(s.runtimeDir, s.spec.credentials, "SELECT SUM(n) FROM visits")).out).toBe("42");
    await again.instance.stop("test over");
  }, 120_000);

  it("applies this environment's credentials to data copied from another (a Branch)", async () => {
    const parent = newService("mysql:10.6");
    const p = await run(parent.spec, parent.log);
    expect((await mariadb(parent.runtimeDir, parent.spec.credentials, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('parent')")).code).toBe(0);
    // Accounts of the parent's own (or of an imported backup's) are not the child's: only its root and user log in.
    const extra = await mariadb(parent.runtimeDir, parent.spec.credentials, "CREATE USER 'extra'@'localhost' IDENTIFIED BY 'extra-pass'; CREATE USER 'user'@'%' IDENTIFIED BY 'other-pass'; GRANT ALL ON *.* TO 'extra'@'localhost'", "root");
    expect(extra.code, extra.err).toBe(0);
    await p.instance.stop("test: copy");
    const child = newService("mysql:10.6");
    fs.cpSync(parent.dataDir, child.dataDir, { recursive: true });
    await run(child.spec, child.log);
    expect((await mariadb(child.runtimeDir, child.spec.credentials, "SELECT v FROM t")).out).toBe("parent");
    expect((await mariadb(child.runtimeDir, parent.spec.credentials, "SELECT v FROM t")).err).toMatch(/Access denied/);
    expect((await mariadb(child.runtimeDir, { ...child.spec.credentials, password: "extra-pass" }, "SELECT 1", "extra")).err).toMatch(/Access denied/);
    const accounts = await mariadb(child.runtimeDir, child.spec.credentials, "SELECT CONCAT(User, '@', Host) FROM mysql.global_priv ORDER BY 1", "root");
    expect(accounts.out.split("\n")).toEqual(["mariadb.sys@localhost", "root@localhost", `${child.spec.credentials.username}@localhost`]);
  }, 120_000);

  it("is started again by its supervisor after a client's SHUTDOWN, and says so", async () => {
    const s = newService("mysql:10.6");
    const { instance } = await run(s.spec, s.log);
    const shutdown = await mariadb(s.runtimeDir, s.spec.credentials, "SHUTDOWN", "root");
    expect(shutdown.code, shutdown.err).toBe(0);
    const deadline = Date.now() + 30_000;
    while (instance.restarts < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(instance.restarts).toBe(1);
    expect(instance.lastExit).toMatchObject({ code: 0, signal: null });
    expect(s.log.text()).toMatch(/MariaDB 10\.\d+ \(service db\) exited with code 0 after [\d.]+ s; starting it again/);
    expect(await instance.waitUntilReady(30_000)).toEqual({ ok: true });
  }, 120_000);
});

(hasRedis ? describe : describe.skip)("a Redis service", () => {
  it("as a cache (redis:): answers with its password only, forgets everything when started again", async () => {
    const s = newService("redis:7.0", { persistent: false });
    const first = await run(s.spec, s.log);
    console.log(`Redis (cache) start to ready: ${first.ms} ms`);
    expect(await redis(s.runtimeDir, s.spec.credentials, "SET", "greeting", "hello")).toMatchObject({ code: 0, out: "OK" });
    expect((await redis(s.runtimeDir, s.spec.credentials, "GET", "greeting")).out).toBe("hello");
    const anonymous = await client({ db: sock(s.runtimeDir) }, ["/usr/bin/redis-cli", "-s", "/run/services/db/redis.sock", "GET", "greeting"]);
    expect(anonymous.out + anonymous.err).toMatch(/NOAUTH/);
    expect((await redis(s.runtimeDir, s.spec.credentials, "CONFIG", "GET", "port")).out).toBe("port\n0");
    // SHUTDOWN SAVE writes its snapshot into the sandbox's own /tmp, gone with it.
    await redis(s.runtimeDir, s.spec.credentials, "SHUTDOWN", "SAVE");
    const deadline = Date.now() + 10_000;
    while (first.instance.restarts < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(first.instance.restarts).toBe(1);
    expect(await first.instance.waitUntilReady(10_000)).toEqual({ ok: true });
    expect((await redis(s.runtimeDir, s.spec.credentials, "GET", "greeting")).out).toBe("");
    expect(fs.readdirSync(s.dataDir)).toEqual([]);
  }, 60_000);

  it("as redis-persistent: keeps its keys across a stop and start", async () => {
    const s = newService("redis-persistent:7.0");
    const first = await run(s.spec, s.log);
    expect((await redis(s.runtimeDir, s.spec.credentials, "SET", "counter", "7")).out).toBe("OK");
    await first.instance.stop("test: restart");
    await run(s.spec, s.log);
    expect((await redis(s.runtimeDir, s.spec.credentials, "GET", "counter")).out).toBe("7");
  }, 60_000);
});

(hasPostgresql ? describe : describe.skip)("a PostgreSQL service", () => {
  it("initialises, answers over its socket to its user, keeps its rows across a restart", async () => {
    const s = newService("postgresql:15");
    const first = await run(s.spec, s.log);
    console.log(`PostgreSQL first start (initialising) to ready: ${first.ms} ms`);
    expect(await psql(s.runtimeDir, s.spec.credentials, "CREATE TABLE visits (n int); INSERT INTO visits VALUES (42); SELECT n FROM visits")).toMatchObject({ code: 0, out: "42" });
    expect((await psql(s.runtimeDir, s.spec.credentials, "SHOW listen_addresses")).out).toBe("");
    const wrong = await psql(s.runtimeDir, { ...s.spec.credentials, password: "wrong-password-123" }, "SELECT 1");
    expect(wrong.err).toMatch(/password authentication failed/);
    await first.instance.stop("test: restart");
    expect(first.instance.lastExit?.signal ?? null, s.log.text()).toBeNull();
    const again = await run(s.spec, s.log);
    console.log(`PostgreSQL restart to ready: ${again.ms} ms`);
    expect((await psql(s.runtimeDir, s.spec.credentials, "SELECT n FROM visits")).out).toBe("42");
  }, 120_000);
});

(hasMariadb && hasRedis ? describe : describe.skip)("two environments' services", () => {
  it("cannot see each other's sockets or data, and a pair's idle memory is measured", async () => {
    const a = newService("mysql:10.6");
    const b = newService("redis-persistent:7.0");
    const [ia, ib] = [await run(a.spec, a.log), await run(b.spec, b.log)];
    // From inside B's Redis sandbox's view (what a hostile engine could name): A's socket and data are not there.
    const pid = ib.instance.processes().at(-1)!;
    const root = `/proc/${pid}/root`;
    expect(fs.existsSync(`${root}/run/service/redis.sock`)).toBe(true);
    expect(fs.existsSync(`${root}/run/service/mysql.sock`)).toBe(false);
    expect(fs.readdirSync(`${root}/srv/data`)).toEqual(["redis"]);
    for (const p of [a.dataDir, a.runtimeDir, path.dirname(a.runtimeDir)]) expect(fs.existsSync(`${root}${p}`), p).toBe(false);
    // An application that has only B's socket folder cannot connect to A's socket by any name.
    const probe = await client({ db: sock(b.runtimeDir) }, ["/bin/bash", "-c", `ls /run/services/db; test -e ${sock(a.runtimeDir)}/mysql.sock && echo VISIBLE || echo hidden`]);
    expect(probe.out).toBe("redis.sock\nhidden");
    // No network in a service's sandbox but loopback.
    const net = fs.readFileSync(`/proc/${pid}/net/dev`, "utf8");
    expect(net.split("\n").slice(2).filter(Boolean).map((l) => l.trim().split(":")[0])).toEqual(["lo"]);
    await new Promise((r) => setTimeout(r, 2000));
    const [ma, mb] = [ia.instance.memory(), ib.instance.memory()];
    console.log(`Idle memory (cgroup: ${ia.instance.limitEvents() ? "yes" : "no"}): MariaDB rss ${(ma.rssBytes / 1048576).toFixed(1)} MiB pss ${(ma.pssBytes / 1048576).toFixed(1)} MiB; Redis rss ${(mb.rssBytes / 1048576).toFixed(1)} MiB pss ${(mb.pssBytes / 1048576).toFixed(1)} MiB`);
    expect(ma.rssBytes).toBeGreaterThan(0);
    // A link put in place of B's socket (B's engine can write its socket folder) is refused, never followed to A's.
    fs.renameSync(path.join(sock(b.runtimeDir), "redis.sock"), path.join(sock(b.runtimeDir), "moved.sock"));
    fs.symlinkSync(path.join(sock(a.runtimeDir), "mysql.sock"), path.join(sock(b.runtimeDir), "redis.sock"));
    expect(await ib.instance.probe()).toMatchObject({ ready: false, detail: "ENOTSOCK" });
  }, 120_000);
});

const hasRabbitmq = available("rabbitmq:3.9", "/usr/lib/rabbitmq/bin/rabbitmq-server");

(hasRabbitmq ? describe : describe.skip)("a RabbitMQ service", () => {
  /** An AMQP client on the instance's socket (amqplib passes `path` on to net.connect). */
  const amqp = async (runtimeDir: string, credentials: ServiceCredentials) => {
    const { connect } = await import("amqplib");
    return connect({ protocol: "amqp", hostname: "localhost", username: credentials.username!, password: credentials.password, vhost: "/" }, { path: path.join(sock(runtimeDir), "amqp.sock") });
  };

  it("answers AMQP over its socket to its user only, keeps durable messages across a restart, and takes new credentials on data copied from elsewhere", { timeout: 60_000 }, async () => {
    const s = newService("rabbitmq:3.9", { disk: 1024 });
    const first = await run(s.spec, s.log);
    console.log(`RabbitMQ first start to ready: ${first.ms} ms`);
    expect(s.log.text()).toMatch(/Starting RabbitMQ 3\.\d+ \(service db\) \(rabbitmq:3\.9 requested; this host runs RabbitMQ 3\.\d+\): memory 256 MB/);
    // A persistent message in a durable queue, through the socket, as the generated user.
    const connection = await amqp(s.runtimeDir, s.spec.credentials);
    const channel = await connection.createChannel();
    await channel.assertQueue("orders", { durable: true });
    channel.sendToQueue("orders", Buffer.from("order 42"), { persistent: true });
    await channel.close();
    await connection.close();
    // A wrong password, and RabbitMQ's own guest/guest, are refused.
    const { probeService } = await import("./service-readiness");
    const socketPath = path.join(sock(s.runtimeDir), "amqp.sock");
    expect(await probeService("rabbitmq", socketPath, { ...s.spec.credentials, password: "wrong-password-123456" })).toMatchObject({ ready: false, detail: expect.stringMatching(/ACCESS_REFUSED|403/) });
    expect(await probeService("rabbitmq", socketPath, { ...s.spec.credentials, password: "guest" })).toMatchObject({ ready: false });
    // From an application's sandbox: AMQP over TCP on its own 127.0.0.1:5672, as the relationship says (PHP's clients speak TCP only).
    const { forwarderScript, WITH_FORWARDER } = await import("@/lib/runtime/sandbox-forwarder");
    const { amqpForwards } = await import("./service-relationships");
    const [forward] = amqpForwards([{ serviceId: "queue", type: "rabbitmq:3.9" }]);
    expect(forward).toMatchObject({ port: 5672, socket: "/run/services/queue/amqp.sock" });
    const tcp = await client({ queue: sock(s.runtimeDir) }, ["/bin/bash", "-c", WITH_FORWARDER, "pwi-test", forwarderScript([forward!]), 'exec 3<>/dev/tcp/127.0.0.1/5672 || exit 9; printf "AMQP\\0\\0\\x09\\x01" >&3; head -c 11 <&3 | od -An -tu1']);
    // A method frame (1) on channel 0 whose method is Connection.Start (class 10, method 10).
    expect(tcp.out.trim().split(/\s+/).map(Number), tcp.err).toEqual([1, 0, 0, expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number), 0, 10, 0, 10]);
    const { rssBytes, pssBytes } = first.instance.memory();
    console.log(`RabbitMQ idle: RSS ${Math.round(rssBytes / 1048576)} MB, PSS ${Math.round(pssBytes / 1048576)} MB`);

    // Stopped cleanly (SIGTERM reaches the Erlang VM), then the same data with new credentials: the message is
    // there, the old password is refused and the new one logs in (the definitions are applied at every boot).
    await first.instance.stop("test: restart", 30_000);
    expect(first.instance.lastExit).toMatchObject({ code: 0, signal: null });
    const again = generateServiceCredentials("rabbitmq");
    const second = await run({ ...s.spec, credentials: again }, s.log);
    console.log(`RabbitMQ start on existing data to ready: ${second.ms} ms`);
    expect(await probeService("rabbitmq", socketPath, s.spec.credentials)).toMatchObject({ ready: false });
    const reopened = await amqp(s.runtimeDir, again);
    const readBack = await reopened.createChannel();
    const message = await readBack.get("orders", { noAck: true });
    expect(message && message.content.toString()).toBe("order 42");
    await reopened.close();

    // Killed (as the memory limit would), it is started again by its supervisor and answers.
    for (const pid of second.instance.processes().slice(1)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    await expect.poll(() => second.instance.restarts, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await second.instance.waitUntilReady(60_000)).toEqual({ ok: true });
  });
});
