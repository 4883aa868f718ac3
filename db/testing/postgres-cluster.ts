/**
 * A throwaway PostgreSQL cluster for integration tests: initdb + pg_ctl in a temp dir on
 * a free port, torn down after. Found through `pg_config --bindir`,
 * /usr/lib/postgresql/<version>/bin, or PATH. As root, the server runs as the
 * `postgres` (else `nobody`) user, because PostgreSQL refuses to run as root.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface Cluster {
  url: string;
  stop(): Promise<void>;
}

export function findPostgresBinDir(): string | null {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
  } catch {
    /* no pg_config */
  }
  try {
    const versions = fs
      .readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    /* not Debian-style */
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir) candidates.push(dir);
  return candidates.find((dir) => ["initdb", "pg_ctl", "postgres"].every((b) => fs.existsSync(path.join(dir, b)))) ?? null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function runAs(user: string | null, bin: string, args: string[]) {
  const [cmd, argv] = user ? ["runuser", ["-u", user, "--", bin, ...args]] : [bin, args];
  const result = spawnSync(cmd, argv, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${path.basename(bin)} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

function unprivilegedUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      return { name, uid, gid };
    } catch {
      /* try the next */
    }
  }
  throw new Error("Running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as.");
}

export async function startCluster(binDir: string): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-pg-"));
  const dataDir = path.join(dir, "data");
  const user = unprivilegedUser();
  if (user) fs.chownSync(dir, user.uid, user.gid);
  fs.chmodSync(dir, 0o700);
  const port = await freePort();
  runAs(user?.name ?? null, path.join(binDir, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"]);
  runAs(user?.name ?? null, path.join(binDir, "pg_ctl"), [
    "-D", dataDir, "-l", path.join(dir, "server.log"), "-w", "-t", "60",
    "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    "start",
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        runAs(user?.name ?? null, path.join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
