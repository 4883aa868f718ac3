import { describe, expect, it } from "vitest";
import { decideServiceEngine, serviceFileSizeBytes, serviceKindOf, serviceMemory } from "./service-engines";
import type { HostServicePrograms } from "./service-host";
import { amqpForwards, buildRelationships } from "./service-relationships";
import { generateServiceCredentials } from "./service-credentials";

const host: HostServicePrograms = {
  mariadb: { server: "/usr/sbin/mariadbd", installDb: "/usr/bin/mariadb-install-db", version: "10.11.19", backup: null },
  redis: { server: "/usr/bin/redis-server", version: "7.0.15" },
  postgresql: [
    { initdb: "/usr/lib/postgresql/15/bin/initdb", postgres: "/usr/lib/postgresql/15/bin/postgres", version: "15.14" },
    { initdb: "/usr/lib/postgresql/13/bin/initdb", postgres: "/usr/lib/postgresql/13/bin/postgres", version: "13.20" },
  ],
  rabbitmq: { server: "/usr/lib/rabbitmq/bin/rabbitmq-server", node: "/usr/bin/node", version: "3.10.8" },
};
const none: HostServicePrograms = { mariadb: null, redis: null, postgresql: [], rabbitmq: null };
const MB = 1024 * 1024;

describe("which engine runs a service type", () => {
  it("maps mysql and mariadb to MariaDB, with a line when the version differs", () => {
    expect(decideServiceEngine("mysql:10.6", host)).toEqual({ ok: true, engine: "mariadb", runs: "MariaDB 10.11", version: "10.11.19", note: "mysql:10.6 requested; this host runs MariaDB 10.11", persistent: true, programs: { server: "/usr/sbin/mariadbd", installDb: "/usr/bin/mariadb-install-db" } });
    expect(decideServiceEngine("mariadb:10.11", host)).toMatchObject({ ok: true, engine: "mariadb", note: null });
    expect(decideServiceEngine("mysql:8.0", host)).toMatchObject({ ok: true, note: "mysql:8.0 requested; this host runs MariaDB 10.11" });
  });

  it("maps redis to a cache and redis-persistent to Redis with its files", () => {
    expect(decideServiceEngine("redis:7.0", host)).toMatchObject({ ok: true, engine: "redis", persistent: false, note: null, runs: "Redis 7.0" });
    expect(decideServiceEngine("redis-persistent:6.2", host)).toMatchObject({ ok: true, engine: "redis", persistent: true, note: "redis-persistent:6.2 requested; this host runs Redis 7.0" });
  });

  it("runs the requested PostgreSQL major when installed, else the newest", () => {
    expect(decideServiceEngine("postgresql:13", host)).toMatchObject({ ok: true, version: "13.20", note: null, programs: { postgres: "/usr/lib/postgresql/13/bin/postgres" } });
    expect(decideServiceEngine("postgresql:16", host)).toMatchObject({ ok: true, version: "15.14", note: "postgresql:16 requested; this host runs PostgreSQL 15" });
  });

  it("says in one sentence what does not run here, and why", () => {
    expect(decideServiceEngine("opensearch:2", host)).toEqual({ ok: false, reason: "OpenSearch does not run on this host: the service is shown but not started, and relationships leave it out." });
    expect(decideServiceEngine("elasticsearch:7.17", host)).toMatchObject({ ok: false });
    expect(decideServiceEngine("solr:8", host)).toEqual({ ok: false, reason: "solr services do not run on this host: the service is shown but not started, and relationships leave it out." });
    expect(decideServiceEngine("mysql:10.6", none)).toEqual({ ok: false, reason: "MariaDB is not installed on this host (Debian: apt-get install mariadb-server)." });
    expect(decideServiceEngine("redis:7.0", none)).toMatchObject({ ok: false, reason: expect.stringMatching(/redis-server/) });
    expect(decideServiceEngine("postgresql:15", none)).toMatchObject({ ok: false, reason: expect.stringMatching(/apt-get install postgresql/) });
    expect(decideServiceEngine("rabbitmq:3.9", none)).toEqual({ ok: false, reason: "RabbitMQ is not installed on this host (Debian: apt-get install rabbitmq-server)." });
  });

  it("maps rabbitmq to RabbitMQ, with a line when the version differs", () => {
    expect(decideServiceEngine("rabbitmq:3.9", host)).toEqual({ ok: true, engine: "rabbitmq", runs: "RabbitMQ 3.10", version: "3.10.8", note: "rabbitmq:3.9 requested; this host runs RabbitMQ 3.10", persistent: true, programs: { server: "/usr/lib/rabbitmq/bin/rabbitmq-server", node: "/usr/bin/node" } });
    expect(decideServiceEngine("rabbitmq:3.10", host)).toMatchObject({ ok: true, note: null });
  });

  it("refuses types that are not a string like family:version", () => {
    for (const bad of [42, null, { type: "mysql" }, "mysql", "mysql:", "MYSQL:10.6", "mysql:10.6; rm -rf /", "mysql:../../x", `mysql:10.6\nredis:7`]) {
      expect(serviceKindOf(bad)).toMatchObject({ runnable: false, reason: expect.stringMatching(/must (be a string|look like mysql:10\.6)/) });
    }
  });
});

describe("memory and disk of an instance", () => {
  it("follows size when given, else disk for databases and a fixed amount for Redis", () => {
    expect(serviceMemory("mariadb", { disk: 2048 })).toEqual({ limitBytes: 256 * MB, cacheBytes: 128 * MB });
    expect(serviceMemory("mariadb", { disk: 512 })).toEqual({ limitBytes: 128 * MB, cacheBytes: 64 * MB });
    expect(serviceMemory("mariadb", { disk: 100_000 })).toEqual({ limitBytes: 512 * MB, cacheBytes: 256 * MB });
    expect(serviceMemory("mariadb", { disk: 2048, size: "L" })).toEqual({ limitBytes: 512 * MB, cacheBytes: 256 * MB });
    expect(serviceMemory("postgresql", { size: "xl" })).toEqual({ limitBytes: 1024 * MB, cacheBytes: 256 * MB });
    expect(serviceMemory("redis", {})).toEqual({ limitBytes: 128 * MB, cacheBytes: 96 * MB });
    expect(serviceMemory("redis", { size: "S" })).toEqual({ limitBytes: 128 * MB, cacheBytes: 96 * MB });
    // RabbitMQ's Erlang VM: at least 256 MB, a quarter of its disk up to 1024 MB; the memory alarm at half of it.
    expect(serviceMemory("rabbitmq", { disk: 1024 })).toEqual({ limitBytes: 256 * MB, cacheBytes: 128 * MB });
    expect(serviceMemory("rabbitmq", { disk: 2048 })).toEqual({ limitBytes: 512 * MB, cacheBytes: 256 * MB });
    expect(serviceMemory("rabbitmq", { disk: 100_000 })).toEqual({ limitBytes: 1024 * MB, cacheBytes: 512 * MB });
    expect(serviceMemory("rabbitmq", { size: "S" })).toEqual({ limitBytes: 256 * MB, cacheBytes: 128 * MB });
  });

  it("ignores a disk or size that is not a positive number or a known size", () => {
    for (const disk of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, "2048", null]) expect(serviceMemory("mariadb", { disk })).toEqual({ limitBytes: 128 * MB, cacheBytes: 64 * MB });
    expect(serviceMemory("mariadb", { size: "HUGE" }).limitBytes).toBe(128 * MB);
    expect(serviceFileSizeBytes({ disk: 2048 })).toBe(2048 * MB);
    expect(serviceFileSizeBytes({ disk: -1 })).toBe(1024 * MB);
  });
});

describe("relationships", () => {
  const db = generateServiceCredentials("mariadb");
  const cache = generateServiceCredentials("redis");
  const pg = generateServiceCredentials("postgresql");

  it("are shaped as the platform's, with the socket as the application sees it and no host path", () => {
    const { relationships, omitted } = buildRelationships(
      { database: "mysql:mysql", redis: "redis:redis", search: "opensearch:opensearch", pg: "postgres:postgresql" },
      {
        mysql: { type: "mysql:10.6", runs: { engine: "mariadb", credentials: db } },
        redis: { type: "redis:7.0", runs: { engine: "redis", credentials: cache } },
        opensearch: { type: "opensearch:2", runs: { reason: "OpenSearch does not run on this host: the service is shown but not started, and relationships leave it out." } },
        postgres: { type: "postgresql:15", runs: { engine: "postgresql", credentials: pg } },
      },
    );
    expect(relationships.database).toEqual([
      {
        service: "mysql",
        rel: "mysql",
        type: "mysql:10.6",
        scheme: "mysql",
        host: "localhost",
        hostname: "localhost",
        port: 3306,
        username: "user",
        password: db.password,
        path: "main",
        query: { is_master: true },
        fragment: null,
        public: false,
        host_mapped: false,
        socket: "/run/services/mysql/mysql.sock",
        url: `mysql://user:${db.password}@localhost:3306/main?socket=%2Frun%2Fservices%2Fmysql%2Fmysql.sock`,
      },
    ]);
    expect(relationships.redis?.[0]).toMatchObject({ scheme: "redis", username: null, password: cache.password, path: null, socket: "/run/services/redis/redis.sock", port: 6379 });
    expect(relationships.pg?.[0]).toMatchObject({ scheme: "pgsql", username: "main", path: "main", socket: "/run/services/postgres/.s.PGSQL.5432" });
    expect(relationships.search).toBeUndefined();
    expect(omitted).toEqual([{ name: "search", service: "opensearch", reason: expect.stringMatching(/^OpenSearch does not run/) }]);
    expect(JSON.stringify(relationships)).not.toMatch(/\/tmp|\/var|DATA_DIR|run\/svc|adminPassword/);
    expect(JSON.stringify(relationships)).not.toContain(db.adminPassword);
  });

  it("give each RabbitMQ a TCP port of the application's own 127.0.0.1 (5672, 5673… by service id), which a forwarder leads to its socket", () => {
    const q = generateServiceCredentials("rabbitmq");
    const { relationships } = buildRelationships(
      { rabbitmq: "queue:rabbitmq", events: "bus:rabbitmq" },
      { queue: { type: "rabbitmq:3.9", runs: { engine: "rabbitmq", credentials: q } }, bus: { type: "rabbitmq:3.9", runs: { engine: "rabbitmq", credentials: q } } },
    );
    expect(relationships.rabbitmq?.[0]).toMatchObject({ scheme: "amqp", host: "127.0.0.1", port: 5673, username: "guest", password: q.password, path: null, socket: "/run/services/queue/amqp.sock", url: `amqp://guest:${q.password}@127.0.0.1:5673/` });
    expect(relationships.events?.[0]).toMatchObject({ port: 5672, socket: "/run/services/bus/amqp.sock" });
    expect(amqpForwards([{ serviceId: "queue", type: "rabbitmq:3.9" }, { serviceId: "db", type: "mysql:10.6" }, { serviceId: "bus", type: "rabbitmq:3.10" }])).toEqual([
      { serviceId: "bus", port: 5672, socket: "/run/services/bus/amqp.sock" },
      { serviceId: "queue", port: 5673, socket: "/run/services/queue/amqp.sock" },
    ]);
  });

  it("leave out a relationship to an undefined service, with a sentence", () => {
    expect(buildRelationships({ x: "nope:mysql" }, {}).omitted).toEqual([{ name: "x", service: "nope", reason: "The service nope is not defined in .magento/services.yaml." }]);
  });

  it("get credentials that are new for each environment", () => {
    const a = generateServiceCredentials("mariadb");
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.adminPassword).not.toBe(a.password);
    expect(generateServiceCredentials("mariadb").password).not.toBe(a.password);
  });
});
