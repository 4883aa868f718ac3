/**
 * A consistent copy of a running service's data into another environment's new data folder,
 * while the source keeps serving. Per engine:
 * - MariaDB, where the host has `mariadb-backup` of the server's version: a hot physical copy
 *   (`mariadb-backup --backup`, then `--prepare`). It copies the source's files while the server
 *   runs, with the redo log written meanwhile, under MariaDB's BACKUP STAGE locks: writes go on,
 *   only DDL waits while the non-InnoDB files are copied and commits wait for the final moment
 *   that fixes the copy's position (milliseconds). The prepared folder is a data folder of the
 *   same moment; the target's credentials take over at its first start (init.sql sets them at
 *   each start). About four times the speed of a dump and load.
 * - MariaDB otherwise, and when the physical copy fails: `mariadb-dump --single-transaction` (one
 *   transaction's snapshot: InnoDB tables are read as of one moment, writers are not blocked)
 *   piped into `mariadb`, connected to a temporary instance of the target that runs on the new
 *   folder (the caller starts it with the target's credentials and stops it cleanly once loaded).
 * - PostgreSQL: `pg_dump` (one repeatable-read transaction) piped into `psql`, the same way.
 * - Redis (`redis-persistent:`): `redis-cli --rdb` (the server forks and streams a point-in-time
 *   snapshot), then a Redis of the copy's own, in the sandbox, loads it and turns its append-only
 *   file on (`CONFIG SET appendonly yes`, Redis's documented switch from snapshots to the
 *   append-only file), so the target's instance, which runs with `appendonly yes`, finds its data.
 * The clients run in a sandbox like a hook's (run-hook.ts: no network, the memory, process and
 * time limits, nothing of the host): it sees the source's socket folder read-only at
 * /run/services/source, the temporary instance's at /run/services/target, the new data folder
 * (Redis) at /srv/data, and this module's option files at /run/pwi-conf; the physical MariaDB
 * copy sees the source's data folder read-only at /srv/data (where its server has it) and the
 * new one at /srv/target. The scripts are
 * fixed text; the credentials reach the clients only in those files (never a command line).
 */
import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { LogSink } from "@/lib/runtime/log-sink";
import { runHook } from "@/lib/runtime/run-hook";
import { DATABASE_NAME, formatConfigFile, quoteConfigValue, SOCKET_NAMES, type ServiceCredentials } from "./service-config";
import type { ServiceEngineName } from "./service-engines";

/** Where things are in the copy's sandbox. */
export const COPY_SANDBOX = { source: "/run/services/source", target: "/run/services/target", data: "/srv/data", newData: "/srv/target", conf: "/run/pwi-conf" } as const;

/** `$PWI_BIN`: the folder of the engine's client programs. The loading client runs `--sandbox`: no command of the dump reaches a file or a shell (`\!`, `source`), whatever the source database holds. */
const MARIADB_COPY = String.raw`set -o pipefail
bin=$PWI_BIN
"$bin/mariadb-dump" --defaults-file=/run/pwi-conf/source.cnf --single-transaction --quick --routines --triggers --events --hex-blob --databases main | "$bin/mariadb" --defaults-file=/run/pwi-conf/target.cnf --sandbox
`;

/**
 * `$PWI_BACKUP`: mariadb-backup; `$PWI_PREPARE_MEMORY`: the memory its prepare may use. The copy is
 * made beside its final name and renamed once prepared, so a copy cut short is never a data
 * folder; mariadb-backup's own files go. Its output is kept in the sandbox's /tmp, the end of it
 * shown on failure (it names files of the source, never credentials).
 */
const MARIADB_PHYSICAL_COPY = String.raw`set -o pipefail
copy=/srv/target/mariadb.copy
rm -rf "$copy" /srv/target/mariadb || exit 1
# A table made with DATA/INDEX DIRECTORY leaves a link among the files; mariadb-backup would read
# through it (or skip what it cannot reach and still succeed): such a database is dumped instead.
if [ -n "$(find /srv/data/mariadb -type l -print -quit)" ]; then echo "The source's files include symbolic links (tables with DATA or INDEX DIRECTORY): they are not copied as files." >&2; exit 1; fi
"$PWI_BACKUP" --defaults-file=/run/pwi-conf/source.cnf --backup --datadir=/srv/data/mariadb --target-dir="$copy" --innodb-use-native-aio=0 --parallel=2 >/tmp/backup.log 2>&1 || { tail -n 12 /tmp/backup.log >&2; echo "mariadb-backup could not copy the running server's files." >&2; exit 1; }
"$PWI_BACKUP" --prepare --target-dir="$copy" --use-memory="$PWI_PREPARE_MEMORY" --innodb-use-native-aio=0 >/tmp/prepare.log 2>&1 || { tail -n 12 /tmp/prepare.log >&2; echo "mariadb-backup could not prepare the copy." >&2; exit 1; }
rm -f "$copy"/xtrabackup_* "$copy"/backup-my.cnf "$copy"/mariadb_backup_* || exit 1
mv "$copy" /srv/target/mariadb
`;

/** `$PWI_BIN`: the folder of PostgreSQL's programs (pg_dump, psql of the server's version). PGPASSFILE holds both passwords. */
const POSTGRESQL_COPY = String.raw`set -o pipefail
bin=$PWI_BIN
"$bin/pg_dump" -h /run/services/source -U postgres -d main --no-owner --no-privileges | "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h /run/services/target -U main -d main >/dev/null
`;

/** `$PWI_BIN`: the folder of redis-cli and redis-server. REDISCLI_AUTH comes from /run/pwi-conf/source.auth. */
const REDIS_COPY = String.raw`set -o pipefail
bin=$PWI_BIN data=/srv/data/redis
mkdir -p "$data" || exit 1
REDISCLI_AUTH=$(cat /run/pwi-conf/source.auth) "$bin/redis-cli" -s /run/services/source/redis.sock --no-auth-warning --rdb "$data/dump.rdb" >/tmp/rdb.log 2>&1 || { cat /tmp/rdb.log >&2; echo "The source's snapshot could not be read." >&2; exit 1; }
"$bin/redis-server" --port 0 --unixsocket /tmp/copy.sock --unixsocketperm 700 --dir "$data" --dbfilename dump.rdb --appendonly no --save "" --logfile "" </dev/null >/tmp/copy.log 2>&1 &
pid=$!
cli() { "$bin/redis-cli" -s /tmp/copy.sock "$@"; }
until [ "$(cli ping 2>/dev/null)" = PONG ]; do kill -0 $pid 2>/dev/null || { cat /tmp/copy.log >&2; echo "The copy's Redis did not start." >&2; exit 1; }; sleep 0.05; done
[ "$(cli config set appendonly yes)" = OK ] || exit 1
until cli info persistence | tr -d '\r' | grep -qx 'aof_rewrite_in_progress:0' && cli info persistence | tr -d '\r' | grep -qx 'aof_rewrite_scheduled:0' && cli info persistence | tr -d '\r' | grep -qx 'aof_enabled:1'; do kill -0 $pid 2>/dev/null || { cat /tmp/copy.log >&2; exit 1; }; sleep 0.05; done
cli info persistence | tr -d '\r' | grep -qx 'aof_last_bgrewrite_status:ok' || { echo "The copy's append-only file could not be written." >&2; exit 1; }
cli shutdown >/dev/null 2>&1
wait $pid
rm -f "$data/dump.rdb"
`;

/** The engines a running instance is copied from: RabbitMQ's queues are not (a copy of a running broker's files is no consistent state, and it has no dump): the target's starts empty. */
export type CopyEngine = Exclude<ServiceEngineName, "rabbitmq">;
export const copiesRunning = (engine: ServiceEngineName): engine is CopyEngine => engine !== "rabbitmq";

const SCRIPTS: Record<CopyEngine, string> = { mariadb: MARIADB_COPY, postgresql: POSTGRESQL_COPY, redis: REDIS_COPY };

/** What each engine's copy is called in the log. */
export const PHYSICAL_MARIADB_COPY = "mariadb-backup: a hot physical copy; commits waited once, at its end";
export const COPY_METHODS: Record<CopyEngine, string> = {
  mariadb: "mariadb-dump --single-transaction | mariadb",
  postgresql: "pg_dump | psql",
  redis: "redis-cli --rdb, loaded into its append-only file",
};

/** The client programs' folder of an engine whose server is `serverProgram` (PostgreSQL's lie beside it; MariaDB's and Redis's in /usr/bin). */
export function clientBinDir(engine: CopyEngine, serverProgram: string): string {
  if (engine === "postgresql") return path.dirname(serverProgram);
  for (const dir of ["/usr/bin", "/usr/local/bin", path.dirname(serverProgram)]) {
    if (fs.existsSync(path.join(dir, engine === "mariadb" ? "mariadb-dump" : "redis-cli"))) return dir;
  }
  return "/usr/bin";
}

/** The option file of a MariaDB client that logs in as root through the socket in `socketDir` (a path inside the client's sandbox). */
export function mariadbRootOptionFile(credentials: ServiceCredentials, socketDir: string): string {
  return formatConfigFile(
    "mariadb",
    [
      ["user", "root"],
      ["password", credentials.adminPassword],
      ["socket", `${socketDir}/${SOCKET_NAMES.mariadb}`],
      ["default-character-set", "utf8mb4"],
    ],
    ["[client]"],
  );
}

/** One line of a PostgreSQL password file (PGPASSFILE) for `user`: its fields are separated by ":", and ":" and "\" in a value are escaped with "\" (generated passwords have neither). */
export function pgpassLine(user: string, password: string): string {
  const field = (s: string) => s.replace(/[\\:]/g, (c) => `\\${c}`);
  return `*:*:*:${field(user)}:${field(password)}\n`;
}

/** The option files the copy's clients read (owner-only, in a folder the server made for this copy). */
export function copyConfigFiles(engine: CopyEngine, source: ServiceCredentials, target: ServiceCredentials): Record<string, string> {
  if (engine === "mariadb") return { "source.cnf": mariadbRootOptionFile(source, COPY_SANDBOX.source), "target.cnf": mariadbRootOptionFile(target, COPY_SANDBOX.target) };
  if (engine === "postgresql") return { pgpass: pgpassLine("postgres", source.adminPassword) + pgpassLine(target.username ?? DATABASE_NAME, target.password) };
  // Checked like every configuration value (no control character, so no second line).
  quoteConfigValue("redis", source.password);
  return { "source.auth": source.password };
}

export interface ServiceCopyRequest {
  engine: CopyEngine;
  /** The engine's server program (its clients are found beside it or in /usr/bin). */
  serverProgram: string;
  /** The source instance's socket folder and credentials. */
  source: { socketDir: string; credentials: ServiceCredentials };
  /** MariaDB and PostgreSQL: the temporary target instance's socket folder; Redis and a physical MariaDB copy: its new data folder. */
  target: { socketDir: string | null; dataDir: string | null; credentials: ServiceCredentials };
  /** MariaDB only: a physical copy with this mariadb-backup, reading the source's data folder (`source.dataDir`), instead of a dump and load. */
  physical?: { backupProgram: string; sourceDataDir: string };
  /** A new folder for this copy's option files (removed after). */
  confDir: string;
  memoryBytes: number;
  /** No file the copy's clients write may be larger (RLIMIT_FSIZE): the service's disk. */
  maxFileBytes?: number | null;
  log: LogSink;
  signal?: AbortSignal;
}

/** Runs one engine's copy in its sandbox; the log gets the clients' errors. */
export async function runServiceCopy(request: ServiceCopyRequest): Promise<{ ok: true } | { ok: false; message: string }> {
  const { engine } = request;
  fs.mkdirSync(request.confDir, { recursive: true, mode: 0o700 });
  try {
    // A physical copy logs in to the source only: the target's password stays out of its sandbox.
    const files = Object.entries(copyConfigFiles(engine, request.source.credentials, request.target.credentials)).filter(([name]) => !request.physical || name === "source.cnf");
    for (const [name, text] of files) {
      fs.writeFileSync(path.join(request.confDir, name), text, { mode: 0o600, flag: "wx" });
    }
    const { physical } = request;
    const memoryBytes = Math.max(request.memoryBytes, 256 * 1024 * 1024);
    const roBinds = [
      { source: request.confDir, dest: COPY_SANDBOX.conf },
      { source: request.source.socketDir, dest: COPY_SANDBOX.source },
      ...(request.target.socketDir ? [{ source: request.target.socketDir, dest: COPY_SANDBOX.target }] : []),
      ...(physical ? [{ source: physical.sourceDataDir, dest: COPY_SANDBOX.data }] : []),
    ];
    const binds = request.target.dataDir ? [{ source: request.target.dataDir, dest: physical ? COPY_SANDBOX.newData : COPY_SANDBOX.data }] : [];
    const bin = clientBinDir(engine, request.serverProgram);
    const result = await runHook({
      script: physical ? MARIADB_PHYSICAL_COPY : SCRIPTS[engine],
      phase: "deploy",
      name: `The copy of the ${engine === "mariadb" ? "MariaDB" : engine === "postgresql" ? "PostgreSQL" : "Redis"} data`,
      sandbox: { appDir: request.confDir, appWritable: false, binds, roBinds, network: false },
      env: {
        ...(engine === "postgresql" ? { PGPASSFILE: `${COPY_SANDBOX.conf}/pgpass` } : {}),
        ...(physical ? { PWI_BACKUP: physical.backupProgram, PWI_PREPARE_MEMORY: String(Math.floor(memoryBytes / 2)) } : {}),
        PWI_BIN: bin,
      },
      log: request.log,
      limits: { memoryBytes, maxProcesses: 64, cpus: 1 },
      // (The folder itself is watched by the caller, against the same disk.)
      ...(request.maxFileBytes ? { disk: { dirs: [], limitBytes: request.maxFileBytes } } : {}),
      signal: request.signal,
    });
    if (result.exitCode === 0) return { ok: true };
    const why = result.refusal ?? (result.cancelled ? "cancelled" : result.limit ? `it reached its ${result.limit} limit` : result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`);
    return { ok: false, message: `${physical ? PHYSICAL_MARIADB_COPY : COPY_METHODS[engine]} failed (${why}); the lines above say why.` };
  } finally {
    fs.rmSync(request.confDir, { recursive: true, force: true });
  }
}
