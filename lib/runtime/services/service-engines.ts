/**
 * Which engine runs a service of `.magento/services.yaml` on this host, pure: the type's
 * family picks the engine, the host's probe (service-host.ts) says which version runs, and a
 * type this host cannot run gets one plain sentence. Nothing pretends: a type without an engine
 * here is "unavailable here", and relationships leave it out.
 *
 * | services.yaml type                | engine here                                              |
 * |-----------------------------------|----------------------------------------------------------|
 * | `mysql:*`, `mariadb:*`            | MariaDB (`mariadbd`, first start `mariadb-install-db`)   |
 * | `redis:*`                         | Redis (`redis-server`), in memory only: a restart empties it |
 * | `redis-persistent:*`              | Redis with its append-only file and snapshots on its disk |
 * | `postgresql:*`                    | PostgreSQL (`/usr/lib/postgresql/<v>/bin`: initdb, postgres) |
 * | `rabbitmq:*`                      | RabbitMQ (`/usr/lib/rabbitmq/bin/rabbitmq-server` on Erlang) |
 * | `opensearch:*`, `elasticsearch:*`, others | not runnable here (one sentence) |
 *
 * **Memory.** Each instance runs in a cgroup of its own whose memory limit comes from the
 * service's `size` when it has one (S 128 MB, M 256, L 512, XL 1024, 2XL 2048, 4XL 4096, as
 * the platform's container sizes go), else from its `disk`: a database gets an eighth of its
 * disk, at least 128 MB and at most 512 MB (`disk: 2048` → 256 MB); Redis, which usually has
 * no disk, 128 MB. Inside that limit:
 * - MariaDB: `innodb_buffer_pool_size` half of it (at least 32 MB), the other caches 8 MB each,
 *   `max_connections` 100 (one thread each; the sandbox's process limit is 256);
 * - Redis: `maxmemory` three quarters of it (the rest is for the fork that writes its files),
 *   evicting least-recently-used keys when it is a cache (`redis:`), refusing writes when it is
 *   persistent (`redis-persistent:`: nothing kept is thrown away silently);
 * - PostgreSQL: `shared_buffers` a quarter of it, `max_connections` 20 (one process each; the
 *   sandbox's process limit is 64), `work_mem` 4 MB.
 * - RabbitMQ: an Erlang VM needs more than a database's least, so its limit is at least 256 MB
 *   (`size`, else a quarter of its disk, at most 1024 MB); its memory alarm
 *   (`vm_memory_high_watermark`: publishers wait until consumers catch up) at half of it: the
 *   forwarder and epmd share the limit, and RabbitMQ looks at its memory every few seconds.
 * The disk (`disk:`, MB) is the largest file any of the engine's processes may write
 * (RLIMIT_FSIZE); the total is the caller's to watch.
 */
import type { HostServicePrograms } from "./service-host";

export type ServiceEngineName = "mariadb" | "redis" | "postgresql" | "rabbitmq";

/** What a services.yaml type needs. Pure. */
export type ServiceKind =
  | { runnable: true; engine: ServiceEngineName; family: string; requested: string; persistent: boolean }
  | { runnable: false; family: string; requested: string; reason: string };

const ENGINE_NAMES: Record<ServiceEngineName, string> = { mariadb: "MariaDB", redis: "Redis", postgresql: "PostgreSQL", rabbitmq: "RabbitMQ" };

/** The families this console runs, by services.yaml type family. */
const FAMILIES: Record<string, { engine: ServiceEngineName; persistent: boolean }> = {
  mysql: { engine: "mariadb", persistent: true },
  mariadb: { engine: "mariadb", persistent: true },
  redis: { engine: "redis", persistent: false },
  "redis-persistent": { engine: "redis", persistent: true },
  postgresql: { engine: "postgresql", persistent: true },
  rabbitmq: { engine: "rabbitmq", persistent: true },
};

/** The sentence for families this console knows but does not run. */
const NOT_HERE: Record<string, string> = {
  opensearch: "OpenSearch does not run on this host: the service is shown but not started, and relationships leave it out.",
  elasticsearch: "Elasticsearch does not run on this host: the service is shown but not started, and relationships leave it out.",
};

/** The engine a services.yaml `type` asks for ("mysql:10.6" → MariaDB), or why it cannot run here. Pure. */
export function serviceKindOf(type: unknown): ServiceKind {
  if (typeof type !== "string") return { runnable: false, family: "", requested: "", reason: "A service's type must be a string like mysql:10.6." };
  const m = /^([a-z][a-z-]*):([0-9][0-9.]*)$/.exec(type);
  if (!m) return { runnable: false, family: "", requested: "", reason: `The service type “${type.slice(0, 60)}” must look like mysql:10.6.` };
  const [, family, requested] = m as unknown as [string, string, string];
  const runs = FAMILIES[family];
  if (runs) return { runnable: true, engine: runs.engine, family, requested, persistent: runs.persistent };
  return { runnable: false, family, requested, reason: NOT_HERE[family] ?? `${family} services do not run on this host: the service is shown but not started, and relationships leave it out.` };
}

/** What runs a service here: the engine's programs and version, or the sentence why it cannot. */
export type ServiceEngine =
  | {
      ok: true;
      engine: ServiceEngineName;
      /** "MariaDB 10.11", shown in the deploy log and the topology. */
      runs: string;
      version: string;
      /** "mysql:10.6 requested; this host runs MariaDB 10.11", or null when it is the one asked for. */
      note: string | null;
      persistent: boolean;
      /** The programs the engine's launcher runs (absolute paths on the host, visible read-only in the sandbox). */
      programs: Record<string, string>;
    }
  | { ok: false; reason: string };

const INSTALL: Record<ServiceEngineName, string> = {
  mariadb: "MariaDB is not installed on this host (Debian: apt-get install mariadb-server)",
  redis: "Redis is not installed on this host (Debian: apt-get install redis-server)",
  postgresql: "PostgreSQL's server is not installed on this host (Debian: apt-get install postgresql)",
  rabbitmq: "RabbitMQ is not installed on this host (Debian: apt-get install rabbitmq-server)",
};

const versionParts = (v: string) => v.split(".").map((p) => Number.parseInt(p, 10));
/** Whether the host's version is the requested one, as far as the request goes (major.minor at most). */
function sameVersion(requested: string, host: string): boolean {
  const have = versionParts(host);
  return versionParts(requested).slice(0, 2).every((n, i) => n === have[i]);
}
/** MariaDB, Redis and RabbitMQ by major.minor, PostgreSQL (10 and later) by major. */
const shortVersion = (engine: ServiceEngineName, v: string) => v.split(".").slice(0, engine === "postgresql" ? 1 : 2).join(".");

/** What runs a service of `type` on a host with `programs`. Pure. */
export function decideServiceEngine(type: unknown, programs: HostServicePrograms): ServiceEngine {
  const kind = serviceKindOf(type);
  if (!kind.runnable) return { ok: false, reason: kind.reason };
  const label = ENGINE_NAMES[kind.engine];
  if (kind.engine === "mariadb") {
    const m = programs.mariadb;
    if (!m) return { ok: false, reason: `${INSTALL.mariadb}.` };
    // MySQL's versions (5.7, 8.0) are not MariaDB's: any mysql: type gets a note unless it names MariaDB's own version.
    return done(kind, label, m.version, { server: m.server, installDb: m.installDb });
  }
  if (kind.engine === "redis") {
    const r = programs.redis;
    if (!r) return { ok: false, reason: `${INSTALL.redis}.` };
    return done(kind, label, r.version, { server: r.server });
  }
  if (kind.engine === "rabbitmq") {
    const q = programs.rabbitmq;
    if (!q) return { ok: false, reason: `${INSTALL.rabbitmq}.` };
    return done(kind, label, q.version, { server: q.server, node: q.node });
  }
  const chosen = choosePostgresql(kind.requested, programs.postgresql);
  if (!chosen) return { ok: false, reason: `${INSTALL.postgresql}.` };
  return done(kind, label, chosen.version, { initdb: chosen.initdb, postgres: chosen.postgres });

  function done(k: Extract<ServiceKind, { runnable: true }>, name: string, version: string, found: Record<string, string>): ServiceEngine {
    const short = shortVersion(k.engine, version);
    const note = sameVersion(k.requested, version) ? null : `${k.family}:${k.requested} requested; this host runs ${name} ${short}`;
    return { ok: true, engine: k.engine, runs: `${name} ${short}`, version, note, persistent: k.persistent, programs: found };
  }
}

/** The PostgreSQL to run for `requested`: the same major when the host has it, else the newest. */
function choosePostgresql(requested: string, available: HostServicePrograms["postgresql"]) {
  const newestFirst = [...available].sort((a, b) => (versionParts(b.version)[0] ?? 0) - (versionParts(a.version)[0] ?? 0));
  return newestFirst.find((p) => versionParts(p.version)[0] === versionParts(requested)[0]) ?? newestFirst[0] ?? null;
}

/** The platform's container sizes, as memory in MB. */
const SIZES: Record<string, number> = { S: 128, M: 256, L: 512, XL: 1024, "2XL": 2048, "4XL": 4096 };

export interface ServiceMemory {
  /** The instance's cgroup limit. */
  limitBytes: number;
  /** MariaDB's innodb_buffer_pool_size, Redis's maxmemory, PostgreSQL's shared_buffers, RabbitMQ's memory alarm. */
  cacheBytes: number;
}

const MB = 1024 * 1024;

/** The memory of one instance from its services.yaml `size` or `disk` (the mapping documented above). Pure. */
export function serviceMemory(engine: ServiceEngineName, service: { disk?: unknown; size?: unknown }): ServiceMemory {
  const sized = typeof service.size === "string" ? SIZES[service.size.toUpperCase()] : undefined;
  const disk = typeof service.disk === "number" && Number.isFinite(service.disk) && service.disk > 0 ? service.disk : null;
  if (engine === "rabbitmq") {
    const limitMb = Math.max(256, sized ?? Math.min(1024, Math.round((disk ?? 1024) / 4)));
    return { limitBytes: limitMb * MB, cacheBytes: Math.floor(limitMb / 2) * MB };
  }
  const limitMb = sized ?? (engine === "redis" ? 128 : Math.min(512, Math.max(128, Math.round((disk ?? 1024) / 8))));
  const cacheMb = engine === "mariadb" ? Math.max(32, Math.floor(limitMb / 2)) : engine === "redis" ? Math.floor((limitMb * 3) / 4) : Math.max(16, Math.floor(limitMb / 4));
  return { limitBytes: limitMb * MB, cacheBytes: cacheMb * MB };
}

/** The largest file an instance may write: its `disk:` (MB), or 1 GiB for a service without one. Pure. */
export function serviceFileSizeBytes(service: { disk?: unknown }): number {
  const disk = typeof service.disk === "number" && Number.isFinite(service.disk) && service.disk > 0 ? service.disk : 1024;
  return Math.floor(disk) * MB;
}
