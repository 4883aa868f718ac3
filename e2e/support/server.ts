/**
 * Starts the production server as `npm start` does (package.json's `start`: its environment,
 * Node.js's flags and scripts/start.mjs) on a free port with its own DATA_DIR, and stops it. Used by the global setup and by tests that need a server of their own
 * (an empty database, a restart).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * `npm start` as package.json writes it (`NAME=value … exec node <flags> <script>`): read, not
 * repeated, so the tests' servers run as users' do.
 */
export function npmStart(): { env: Record<string, string>; nodeArgs: string[]; script: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? "")) {
    const [name, ...value] = words.shift()!.split("=");
    env[name!] = value.join("=");
  }
  if (words.shift() !== "exec" || words.shift() !== "node") throw new Error(`package.json's start is not "NAME=value … exec node …": ${pkg.scripts.start}`);
  const script = words.pop()!;
  return { env, nodeArgs: words, script: path.join(root, script) };
}

export interface TestServer {
  url: string;
  port: number;
  /** The environment router's port (ENV_PORT). */
  envPort: number;
  pid: number;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

/** A fresh DATA_DIR, removed when this process (the test runner's or a worker's) exits: by then its servers have stopped. */
export function makeDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment of a test server, as `npm start` gives it; on its own embedded database unless a test names a server. */
export function serverEnv(options: { dataDir: string; port: number; envPort: number; env?: Record<string, string>; databaseUrl?: string }): NodeJS.ProcessEnv {
  // Crons are not started on their schedule unless a spec asks (the template's would run every 5 minutes in every environment).
  const env: NodeJS.ProcessEnv = { ...process.env, CRON_SCHEDULER: "0", SCHEDULED_BACKUPS: "0", ...options.env, DATA_DIR: options.dataDir, PORT: String(options.port), ENV_PORT: String(options.envPort), NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...npmStart().env };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;
  if (!options.env?.AUTH_SECRET) delete env.AUTH_SECRET;
  if (!options.env?.ADMIN_EMAIL) delete env.ADMIN_EMAIL;
  if (!options.env?.ADMIN_PASSWORD) delete env.ADMIN_PASSWORD;
  return env;
}

/** Starts the production server as `npm start` does (its output kept), without waiting for it. */
export function launchServer(env: NodeJS.ProcessEnv): { child: ChildProcess; output(): string; exited: Promise<number | null> } {
  let output = "";
  const { nodeArgs, script } = npmStart();
  // E2E_SERVER_NODE_ARGS: more of node's flags for the server (a benchmark's `--cpu-prof`, which NODE_OPTIONS refuses).
  const extra = (env.E2E_SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...extra, script], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // E2E_SERVER_LOG=<file>: the server's output is also appended to that file (to read after a hang).
  const logFile = process.env.E2E_SERVER_LOG ? fs.openSync(process.env.E2E_SERVER_LOG, "a") : null;
  const keep = (d: Buffer) => {
    output += d;
    if (logFile !== null) fs.writeSync(logFile, d);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function startServer(
  options: { dataDir?: string; port?: number; env?: Record<string, string>; databaseUrl?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? makeDataDir();
  const port = options.port ?? (await freePort());
  const envPort = Number(options.env?.ENV_PORT ?? (await freePort()));
  const env = serverEnv({ ...options, dataDir, port, envPort });
  const { child, output: readOutput, exited } = launchServer(env);

  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The server exited with ${child.exitCode} before it was ready:\n${readOutput()}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`The server did not become ready within 90 s:\n${readOutput()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    port,
    envPort,
    pid: child.pid!,
    dataDir,
    output: readOutput,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
