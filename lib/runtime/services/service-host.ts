/**
 * Which service engines this host has, probed once per process (like runtime-types.ts for the
 * application's runtimes): MariaDB's server and installer, Redis's server, and every PostgreSQL
 * under /usr/lib/postgresql/<major>/bin. The decision is pure (service-engines.ts); this is not.
 */
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { findProgram, printedVersion } from "@/lib/runtime/host-programs";
import { decideServiceEngine, type ServiceEngine } from "./service-engines";

export interface HostServicePrograms {
  /** `backup`: mariadb-backup when it is the server's own version (it copies a running server's files; another version may not read them), else null. */
  mariadb: { server: string; installDb: string; version: string; backup: string | null } | null;
  redis: { server: string; version: string } | null;
  postgresql: { initdb: string; postgres: string; version: string }[];
  /** RabbitMQ's own start script (not Debian's wrapper, which changes user), and node for the socket's forwarder. */
  rabbitmq: { server: string; node: string; version: string } | null;
}

/** The first match of `pattern` in what `file args` prints (in the C locale), or null when it does not run. */
const versionOf = (file: string, args: string[], pattern: RegExp) => printedVersion(file, args, pattern, { LANG: "C" });

let probed: HostServicePrograms | undefined;

/** The host's service engines, probed once per process. */
export function probeServicePrograms(): HostServicePrograms {
  if (probed) return probed;
  const mariadbd = findProgram("mariadbd", "mysqld");
  const installDb = findProgram("mariadb-install-db", "mysql_install_db");
  const mariadbVersion = mariadbd ? versionOf(mariadbd, ["--version"], /Ver ([0-9]+\.[0-9]+\.[0-9]+)-MariaDB/) : null;
  const backup = findProgram("mariadb-backup", "mariabackup");
  const backupVersion = backup ? versionOf(backup, ["--version"], /MariaDB server ([0-9]+\.[0-9]+\.[0-9]+)-MariaDB/) : null;
  const redis = findProgram("redis-server");
  const redisVersion = redis ? versionOf(redis, ["--version"], /v=([0-9]+\.[0-9]+\.[0-9]+)/) : null;
  const postgresql: HostServicePrograms["postgresql"] = [];
  let majors: string[] = [];
  try {
    majors = fs.readdirSync("/usr/lib/postgresql").filter((d) => /^[0-9]+$/.test(d));
  } catch {
    // none installed
  }
  for (const major of majors) {
    const bin = path.join("/usr/lib/postgresql", major, "bin");
    const [initdb, postgres] = [path.join(bin, "initdb"), path.join(bin, "postgres")];
    if (!fs.existsSync(initdb) || !fs.existsSync(postgres)) continue;
    const version = versionOf(postgres, ["--version"], /\(PostgreSQL\) ([0-9]+(?:\.[0-9]+)*)/);
    if (version) postgresql.push({ initdb, postgres, version });
  }
  probed = {
    rabbitmq: probeRabbitmq(),
    mariadb: mariadbd && installDb && mariadbVersion ? { server: mariadbd, installDb, version: mariadbVersion, backup: backup && backupVersion === mariadbVersion ? backup : null } : null,
    redis: redis && redisVersion ? { server: redis, version: redisVersion } : null,
    postgresql,
  };
  return probed;
}

/** RabbitMQ as Debian installs it: /usr/lib/rabbitmq/bin/rabbitmq-server, its version the name of its folder in /usr/lib/rabbitmq/lib, and Erlang's erl. */
function probeRabbitmq(): HostServicePrograms["rabbitmq"] {
  const server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
  const node = findProgram("node");
  if (!fs.existsSync(server) || !findProgram("erl") || !node) return null;
  let version: string | null = null;
  try {
    version = fs.readdirSync("/usr/lib/rabbitmq/lib").map((d) => /^rabbitmq_server-([0-9]+\.[0-9]+\.[0-9]+)$/.exec(d)?.[1]).find(Boolean) ?? null;
  } catch {
    // not installed
  }
  return version ? { server, node, version } : null;
}

/** What runs a service of `type` here: its engine, version and programs, or the sentence why it cannot. */
export function hostServiceEngine(type: unknown): ServiceEngine {
  return decideServiceEngine(type, probeServicePrograms());
}
