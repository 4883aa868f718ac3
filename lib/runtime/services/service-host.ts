/**
 * Which service engines this host has, probed once per process (like runtime-types.ts for the
 * application's runtimes): MariaDB's server and installer, Redis's server, and every PostgreSQL
 * under /usr/lib/postgresql/<major>/bin. The decision is pure (service-engines.ts); this is not.
 */
import "server-only";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { decideServiceEngine, type ServiceEngine } from "./service-engines";

export interface HostServicePrograms {
  mariadb: { server: string; installDb: string; version: string } | null;
  redis: { server: string; version: string } | null;
  postgresql: { initdb: string; postgres: string; version: string }[];
}

const SEARCH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function findProgram(...names: string[]): string | null {
  for (const name of names) {
    for (const dir of SEARCH_DIRS) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** The first match of `pattern` in what `file args` prints, or null when it does not run. */
function versionOf(file: string, args: string[], pattern: RegExp): string | null {
  const run = spawnSync(file, args, { encoding: "utf8", timeout: 10_000, env: { PATH: SEARCH_DIRS.join(":"), LANG: "C" } as unknown as NodeJS.ProcessEnv });
  const version = pattern.exec(`${run.stdout ?? ""}\n${run.stderr ?? ""}`)?.[1];
  return run.status === 0 && version ? version : null;
}

let probed: HostServicePrograms | undefined;

/** The host's service engines, probed once per process. */
export function probeServicePrograms(): HostServicePrograms {
  if (probed) return probed;
  const mariadbd = findProgram("mariadbd", "mysqld");
  const installDb = findProgram("mariadb-install-db", "mysql_install_db");
  const mariadbVersion = mariadbd ? versionOf(mariadbd, ["--version"], /Ver ([0-9]+\.[0-9]+\.[0-9]+)-MariaDB/) : null;
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
    mariadb: mariadbd && installDb && mariadbVersion ? { server: mariadbd, installDb, version: mariadbVersion } : null,
    redis: redis && redisVersion ? { server: redis, version: redisVersion } : null,
    postgresql,
  };
  return probed;
}

/** What runs a service of `type` here: its engine, version and programs, or the sentence why it cannot. */
export function hostServiceEngine(type: unknown): ServiceEngine {
  return decideServiceEngine(type, probeServicePrograms());
}
