// Clients of a service instance for tests: each runs in an application-like sandbox (uid 10000,
// no network, the seccomp filter) that sees the service's socket folder read-only at
// /run/services/db, as an application does.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hookBaseEnv, sandboxSupport } from "@/lib/runtime/sandbox";
import { sandboxedCommand } from "@/lib/runtime/sandbox-command";
import { hookSeccomp } from "@/lib/runtime/seccomp";
import type { ServiceCredentials } from "./service-config";
import { appServiceSocketDir } from "./service-relationships";
import { hostServiceEngine } from "./service-host";

/**
 * Runs a client in an application-like sandbox (uid 10000, no network, the seccomp filter) that
 * sees the service's socket folder read-only at /run/services/db, as an application does.
 */
export async function client(socketDirs: Record<string, string>, command: string[], env: Record<string, string> = {}) {
  const seccomp = await hookSeccomp();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-svc-app-"));
  const c = sandboxedCommand({
    inner: command,
    env: { ...hookBaseEnv("/app"), ...env },
    sandboxed: { bwrap: (sandboxSupport() as { bwrap: string }).bwrap, seccomp: seccomp.ok ? seccomp.file : null },
    sandbox: { appDir: home, appWritable: false, binds: [], roBinds: Object.entries(socketDirs).map(([id, source]) => ({ source, dest: appServiceSocketDir(id) })), network: false },
    // (No cgroup here, so the limit is on address space: enough for node, which reserves gigabytes it never uses.)
    limits: { memoryBytes: 8 * 1024 * 1024 * 1024, maxProcesses: 64, cpus: 1 },
    cgroup: null,
    fileSizeBytes: null,
  });
  // Not spawnSync: a test may run clients while the server's own work goes on (a copy, a pause).
  const child = spawn(c.file, c.args, { env: c.env as unknown as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  fs.rmSync(home, { recursive: true, force: true });
  return { code, out: Buffer.concat(out).toString("utf8").trim(), err: Buffer.concat(err).toString("utf8").trim() };
}

export const sock = (runtimeDir: string) => path.join(runtimeDir, "sock");

export const mariadb = (runtimeDir: string, credentials: ServiceCredentials, sql: string, user = credentials.username!) =>
  client({ db: sock(runtimeDir) }, ["/usr/bin/mariadb", "--no-defaults", "-S", `${appServiceSocketDir("db")}/mysql.sock`, "-u", user, "-N", "-B", "main", "-e", sql], { MYSQL_PWD: user === "root" ? credentials.adminPassword : credentials.password });
export const redis = (runtimeDir: string, credentials: ServiceCredentials, ...args: string[]) =>
  client({ db: sock(runtimeDir) }, ["/usr/bin/redis-cli", "--no-auth-warning", "-s", `${appServiceSocketDir("db")}/redis.sock`, "-a", credentials.password, ...args]);
export const psql = (runtimeDir: string, credentials: ServiceCredentials, sql: string) =>
  client({ db: sock(runtimeDir) }, ["/usr/bin/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", `host=${appServiceSocketDir("db")} user=${credentials.username} dbname=main`, "-c", sql], { PGPASSWORD: credentials.password });


/** Why services of `types` cannot run here (no sandbox, an engine missing, a client missing), or null. */
export function servicesGap(types: readonly string[], clients: readonly string[] = []): string | null {
  const sandbox = sandboxSupport();
  if (!sandbox.ok) return sandbox.reason;
  for (const type of types) {
    const engine = hostServiceEngine(type);
    if (!engine.ok) return `${type}: ${engine.reason}`;
  }
  const missing = clients.find((c) => !fs.existsSync(c));
  return missing ? `${missing} is not installed` : null;
}

/**
 * The gap for a test file's services (null: they run). In CI (or PWI_REQUIRE_SERVERS=1) a gap
 * fails the suite; elsewhere the file's tests skip with a loud warning.
 */
export function requireServices(types: readonly string[], clients: readonly string[] = []): string | null {
  const why = servicesGap(types, clients);
  if (!why) return null;
  if (process.env.CI || process.env.PWI_REQUIRE_SERVERS === "1") throw new Error(`PWI_REQUIRE_SERVERS=1 and services cannot run here: ${why}`);
  console.warn(`\n\n!!! SKIPPED: services cannot run here: ${why} !!!\n\n`);
  return why;
}
