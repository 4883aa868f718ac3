// Benchmark (runtime): environments running their application, all measured in one run.
//   page      the template page through the environment router → nginx → PHP-FPM, 20 keep-alive
//             clients, against the same page asked of nginx directly over its Unix socket by the
//             same clients (rounds interleaved ABBA): p50 and p95 ratios (goal ≤ 1.3×)
//   static    /static/site.css likewise (goal ≤ 1.2×)
//   redeploy  20 clients GET the page through the router while 5 redeploy activities run to
//             completion: non-200 answers and connection errors (goal 0)
//   kill      SIGKILL of the release's PHP-FPM master → /health answers 200 through the router from
//             the restarted sandbox, 5 times, each after the sandbox ran 10 s (a fresh restart
//             delay): max (goal ≤ 1 s)
//   memory    one idle template environment after a few requests: PSS and RSS of all its
//             processes (goal PSS ≤ 60 MB)
//   hostile   a tiny endpoint of this process (standing for the dashboard's /api/health, which
//             shares its event loop with the router and the driver) asked every 20 ms while, in
//             turn, an app fork-bombs, eats memory, burns CPU (4 workers), answers 1 GiB to 4
//             downloaders, and 200 slowloris connections hold the router: p99 (goal ≤ 200 ms);
//             meanwhile a calm environment's /health through the router every 100 ms.
// Clients and the pinger run in worker threads, so their own work is not the router's.
// Run: npm run bench:runtime   (BENCH_REQUESTS=3000 measured requests per mode; BENCH_JSON=<file>
// also writes the numbers as JSON; BENCH_QUICK=1 [BENCH_REDEPLOYS=n BENCH_KILLS=n]: a short run;
// BENCH_ONLY=1-2: only the sections whose names start so)
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { performance as nodePerformance } from "node:perf_hooks";
import { spawn } from "node:child_process";
import { Worker as Thread } from "node:worker_threads";
import { eq } from "drizzle-orm";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { benchTempDir } from "./temp-dir";

const dataDir = benchTempDir("pwi-bench-runtime-");
process.env.DATA_DIR = dataDir;
// Limits small enough for the hostile applications to meet them within seconds (lib/env.ts reads these).
process.env.APP_MEMORY_MB = "128";
process.env.APP_MAX_PROCESSES = "64";
process.env.APP_STOP_GRACE = "5";
process.env.ROUTER_MAX_RESPONSE_MB = "256";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const ROUNDS = 4; // ABBA: direct, router, router, direct
const WARMUP = 200;
const CLIENTS = 20;
// BENCH_QUICK=1: a short run while changing this script (its numbers are not the benchmark's).
const QUICK = process.env.BENCH_QUICK === "1";
const REDEPLOYS = QUICK ? Number(process.env.BENCH_REDEPLOYS ?? 1) : 5;
const KILLS = QUICK ? Number(process.env.BENCH_KILLS ?? 1) : 5;
const HOSTILE_SECONDS = QUICK ? 3 : 10;

const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();
const { startLocalStack } = await import("./local-stack");
const { activities } = await import("@/db/schema");
const { requestEnvironmentAction } = await import("@/lib/environments/request-action");
const { createProject } = await import("@/lib/projects/create-project");
const { makeUser } = await import("@/lib/testing-fixtures");
const { localDriver } = await import("@/lib/runtime/driver/local-driver");
const { releaseDir } = await import("@/lib/runtime/driver/release-files");
const { environmentDeployDir } = await import("@/lib/runtime/deploy");
const { sandboxSupport } = await import("@/lib/runtime/sandbox");
const { dataPaths } = await import("@/lib/paths");
const { findProgram } = await import("@/lib/runtime/host-programs");
const { recordingLog } = await import("@/lib/runtime/testing-hooks");
const { descendants, processesMemory, commandName } = await import("@/lib/runtime/supervisor/process-tree");

// ---------------------------------------------------------------------------------------------
// What it needs.
function config(app: { type?: string; workers?: Record<string, unknown> }): ProjectConfig {
  return {
    app: { name: "app", type: app.type ?? "php:8.2", disk: 256, relationships: {}, mounts: { var: "shared:files/var" }, web: { locations: { "/": { root: "public", passthru: "/index.php" } } }, hooks: {}, crons: {}, ...(app.workers ? { workers: app.workers } : {}) },
    services: {},
    routes: {},
  } as unknown as ProjectConfig;
}
{
  const missing = ["/usr/sbin/nginx", "/usr/bin/bwrap"].filter((p) => !fs.existsSync(p));
  const support = localDriver.support(config({}));
  const sandbox = sandboxSupport();
  if (missing.length > 0 || !support.ok || !sandbox.ok) {
    const why = [...missing.map((m) => `${m} is missing`), ...(support.ok ? [] : [support.reason]), ...(sandbox.ok ? [] : [`sandbox: ${sandbox.reason}`])];
    console.error(`\n\n!!! bench:runtime CANNOT RUN: environments' applications do not run on this machine !!!\n!!! ${why.join("; ")} !!!\n!!! Install nginx, php-fpm and bubblewrap (CI does). !!!\n\n`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Client threads: plain JavaScript in worker threads, one job at a time, "stop" ends a continuous one.
const THREAD = String.raw`
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
const net = require("node:net");
let stopping = false;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function get(target, path, agent, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const where = target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port };
    let done = false;
    const finish = (r) => { if (!done) { done = true; resolve({ ...r, ms: performance.now() - t0, at: Date.now() }); } };
    const req = http.request({ ...where, path, headers: { host: target.hostHeader }, agent, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      let head = "";
      res.on("data", (c) => { bytes += c.length; if (res.statusCode !== 200 && head.length < 400) head += c.toString("latin1", 0, 400); });
      res.on("end", () => finish({ status: res.statusCode, bytes, title: (/<title>([^<]*)<\/title>/.exec(head) || [])[1] || head.slice(0, 60) }));
      res.on("aborted", () => finish({ error: "aborted", status: res.statusCode, bytes }));
      res.on("error", (e) => finish({ error: e.code || "response " + e.message, status: res.statusCode, bytes }));
      res.on("close", () => finish({ error: "closed", status: res.statusCode, bytes }));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e) => finish({ error: e.code || e.message }));
    req.end();
  });
}
const bump = (map, key) => { map[key] = (map[key] || 0) + 1; };
const jobs = {
  // A fixed number of requests by N clients on keep-alive connections, after a warm-up.
  async fixed({ target, path, clients, warmup, requests }) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const latencies = [];
    const statuses = {};
    const errors = {};
    let bytes = 0;
    const phase = async (count, record) => {
      let issued = 0;
      await Promise.all(Array.from({ length: clients }, async () => {
        while (issued < count) {
          issued++;
          const r = await get(target, path, agent, 10000);
          if (!record) continue;
          if (r.error) bump(errors, r.error); else { bump(statuses, r.status); bytes += r.bytes; }
          latencies.push(r.ms);
        }
      }));
    };
    await phase(warmup, false);
    const t0 = performance.now();
    await phase(requests, true);
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    return { latencies, statuses, errors, seconds, bytes };
  },
  // N clients on keep-alive connections until stopped: every answer counted.
  async continuous({ target, path, clients }) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const statuses = {};
    const errors = {};
    const failures = [];
    let count = 0;
    let maxMs = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (!stopping) {
        const r = await get(target, path, agent, 10000);
        count++;
        maxMs = Math.max(maxMs, r.ms);
        if (r.error) bump(errors, r.error); else bump(statuses, r.status);
        if ((r.error || r.status !== 200) && failures.length < 20) failures.push({ at: r.at, what: r.error || r.status + " " + r.title });
      }
    }));
    agent.destroy();
    return { count, statuses, errors, failures, maxMs };
  },
  // The health endpoint every everyMs (one at a time, each on a new connection), and the calm environment every calmMs.
  async ping({ health, calm, everyMs, calmMs }) {
    const pings = [];
    const calms = [];
    await Promise.all([
      (async () => {
        while (!stopping) {
          const r = await get(health, "/", false, 5000);
          pings.push([r.at - r.ms, r.ms, r.error ? 0 : r.status]);
          await sleep(everyMs);
        }
      })(),
      (async () => {
        while (!stopping) {
          const r = await get(calm, "/health", false, 5000);
          calms.push([r.at - r.ms, r.ms, r.error ? 0 : r.status]);
          await sleep(calmMs);
        }
      })(),
    ]);
    return { pings, calms };
  },
  // Downloads of a large answer, concurrent ones, read as fast as they come, until stopped.
  async download({ target, path, concurrent }) {
    let bytes = 0, complete = 0, cut = 0;
    const statuses = {};
    await Promise.all(Array.from({ length: concurrent }, async () => {
      while (!stopping) {
        const r = await get(target, path, false, 60000);
        bytes += r.bytes || 0;
        if (r.status) bump(statuses, r.status);
        if (r.error) cut++; else complete++;
      }
    }));
    return { bytes, complete, cut, statuses };
  },
  // Slowloris: connections sending a request's headers one byte a second, reopened when closed.
  async slowloris({ target, conns }) {
    const head = "GET / HTTP/1.1\r\nHost: " + target.hostHeader + "\r\nUser-Agent: slowloris\r\nX-Slow: " + "a".repeat(4000);
    let opened = 0, closed = 0, answered = 0, open = 0, maxOpen = 0;
    const sockets = new Set();
    const one = () => {
      if (stopping) return;
      const s = net.connect(target.port, target.host);
      opened++;
      let i = 0;
      sockets.add(s);
      s.on("connect", () => { open++; maxOpen = Math.max(maxOpen, open); });
      s.on("data", () => { answered++; });
      const timer = setInterval(() => { if (i < head.length) s.write(head[i++]); }, 1000);
      s.on("error", () => {});
      s.on("close", () => { clearInterval(timer); sockets.delete(s); open--; closed++; setTimeout(one, 100); });
    };
    for (let k = 0; k < conns; k++) setTimeout(one, k * 5);
    while (!stopping) await sleep(50);
    const closedByServer = closed;
    for (const s of sockets) s.destroy();
    return { opened, closedByServer, answered, maxOpen };
  },
};
parentPort.on("message", async (msg) => {
  if (msg.op === "stop") { stopping = true; return; }
  stopping = false;
  try { parentPort.postMessage({ ok: true, result: await jobs[msg.op](msg) }); }
  catch (err) { parentPort.postMessage({ ok: false, error: String((err && err.stack) || err) }); }
});
`;

interface Target {
  socketPath?: string;
  host?: string;
  port?: number;
  hostHeader: string;
}
type Counts = Record<string, number>;
interface Fixed { latencies: number[]; statuses: Counts; errors: Counts; seconds: number; bytes: number }
interface Continuous { count: number; statuses: Counts; errors: Counts; failures: { at: number; what: string | number }[]; maxMs: number }
/** [sent at (epoch ms), milliseconds, status (0: no answer)] */
type Sample = [number, number, number];

function clientThread() {
  const thread = new Thread(THREAD, { eval: true });
  let waiting: ((m: { ok: boolean; result?: unknown; error?: string }) => void) | null = null;
  thread.on("message", (m) => waiting?.(m));
  return {
    run<T>(job: Record<string, unknown>): Promise<T> {
      return new Promise((resolve, reject) => {
        waiting = (m) => (m.ok ? resolve(m.result as T) : reject(new Error(m.error)));
        thread.postMessage(job);
      });
    },
    stop: () => thread.postMessage({ op: "stop" }),
    terminate: () => thread.terminate(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventLoopUtilization = nodePerformance.eventLoopUtilization;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const counts = (c: Counts) => Object.entries(c).map(([k, v]) => `${k}×${v}`).join(", ") || "none";
/** Busy and total jiffies of the whole machine (for how busy it was during a scenario). */
function cpuTimes(): { busy: number; total: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

interface Row { what: string; measured: string; goal: string; verdict: "met" | "NOT MET" | "reported" }
const rows: Row[] = [];
const details: Record<string, unknown> = {};
const notes: string[] = [];
/** Runs one part of the benchmark; a failure is reported in the table and the next part still runs. */
async function section(name: string, part: () => Promise<void>): Promise<void> {
  // BENCH_ONLY=1-2 (a prefix of a section's name): only those sections, e.g. while profiling one.
  if (process.env.BENCH_ONLY && !name.startsWith(process.env.BENCH_ONLY)) return;
  try {
    await part();
  } catch (err) {
    failed = true;
    rows.push({ what: `${name}: FAILED`, measured: (err as Error).message.split("\n")[0]!.slice(0, 200), goal: "", verdict: "NOT MET" });
    notes.push(`${name} failed: ${(err as Error).stack ?? String(err)}`);
  }
}
let failed = false;
const verdict = (ok: boolean): Row["verdict"] => (ok ? "met" : "NOT MET");

// ---------------------------------------------------------------------------------------------
const { database, db, worker, router, routerPort } = await startLocalStack(dataDir);
// The tiny endpoint this process serves, standing for the dashboard's /api/health.
const health = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
  res.end('{"status":"ok"}');
});
await new Promise<void>((r) => health.listen(0, "127.0.0.1", () => r()));
const healthPort = (health.address() as AddressInfo).port;
const load = clientThread();
const pinger = clientThread();
const hostileEnvironments: string[] = [];

const currentRelease = (env: string) => path.basename(fs.realpathSync(path.join(environmentDeployDir("bench", env), "current")));
const viaRouter = (env: string, project = "bench"): Target => ({ host: "127.0.0.1", port: routerPort, hostHeader: `${env}.${project}.localhost` });
const direct = (env: string): Target => ({ socketPath: localDriver.webSocket("bench", env, currentRelease(env)), hostHeader: `${env}.bench.localhost` });

/** The host's nginx as a bare reverse proxy on a free local port, in front of `socketPath` (the bench's reference for what any proxy adds). */
async function startReferenceProxy(socketPath: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const nginx = findProgram("nginx");
  if (!nginx) throw new Error("the reference proxy needs nginx on this host");
  const dir = fs.mkdtempSync(path.join(dataDir, "reference-proxy-"));
  const port = await new Promise<number>((resolve) => {
    const probe = http.createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = probe.address() as AddressInfo;
      probe.close(() => resolve(p));
    });
  });
  const conf = [
    "worker_processes 1;",
    // Started by root, nginx's workers would become nobody, who cannot open the socket.
    ...(process.getuid?.() === 0 ? ["user root;"] : []),
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log;`,
    "daemon off;",
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    `  upstream app { server unix:${socketPath}; keepalive 32; }`,
    "  server {",
    `    listen 127.0.0.1:${port};`,
    "    location / {",
    "      proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header Host $host;",
    "      proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Forwarded-Host $host; proxy_set_header X-Forwarded-Proto $scheme;",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  const child = spawn(nginx, ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  for (let i = 0; ; i++) {
    const answer = await getOnce({ host: "127.0.0.1", port, hostHeader: "staging.bench.localhost" }, "/static/site.css", 500);
    if (answer.status === 200) break;
    if (i > 100 || child.exitCode !== null) {
      child.kill("SIGTERM");
      throw new Error(`the reference nginx proxy did not answer: ${fs.readFileSync(path.join(dir, "error.log"), "utf8").slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop: async () => void (child.kill("SIGTERM"), await exited) };
}

/** One GET in this thread (for checks, not for timing). */
function getOnce(target: Target, p: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const where = target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port };
    const req = http.request({ ...where, path: p, headers: { host: target.hostHeader }, agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve({ status: 0, body }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}

try {
  const t0 = performance.now();
  const admin = await makeUser(db, { isAdmin: true });
  await createProject(db, admin, { id: "bench", title: "Bench", plan: "starter", region: "us-3" });
  await worker.idle();
  for (const env of ["master", "staging"]) {
    const status = localDriver.environmentStatus("bench", env);
    if (status?.state !== "running") throw new Error(`The template's ${env} does not run after its first deploy: ${JSON.stringify(status)}`);
    const page = await getOnce(viaRouter(env), "/");
    if (page.status !== 200 || !page.body.includes('id="visits"')) throw new Error(`${env}'s page through the router: ${page.status} ${page.body.slice(0, 300)}`);
  }
  const runs = localDriver.environmentStatus("bench", "staging")!;
  console.log(`Project "bench" (template, starter: master and staging) deployed and running in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${runs.runs}${runs.note ? ` (${runs.note})` : ""}; 2 cores, load ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);

  // 5. Memory of one idle template environment (master: nothing else asks it anything) ----------
  await section("5. memory", async () => {
    for (let i = 0; i < 5; i++) await getOnce(viaRouter("master"), "/");
    await getOnce(viaRouter("master"), "/static/site.css");
    await getOnce(viaRouter("master"), "/health");
    await sleep(2000);
    const status = localDriver.environmentStatus("bench", "master")!;
    const pss = status.processes.reduce((a, p) => a + p.pssBytes, 0);
    const rss = status.processes.reduce((a, p) => a + p.rssBytes, 0);
    const n = status.processes.reduce((a, p) => a + p.processes, 0);
    // Which processes: from the status file the driver writes beside the release.
    const file = JSON.parse(fs.readFileSync(path.join(releaseDir("bench", "master", status.releaseId), "status.json"), "utf8")) as { processes: { pid: number | null }[] };
    const web = file.processes[0]!.pid!;
    const breakdown = [web, ...descendants(web)].map((pid) => {
      const m = processesMemory([pid]);
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]!.slice(0, 40) || commandName(pid);
      return { pid, command: cmd, pssKiB: Math.round(m.pssBytes / 1024), rssKiB: Math.round(m.rssBytes / 1024) };
    });
    details.memory = { pssBytes: pss, rssBytes: rss, processes: n, breakdown };
    rows.push({ what: "5. Memory of one idle template environment (all its processes)", measured: `PSS ${mib(pss)}, RSS ${mib(rss)} (${n} processes)`, goal: "PSS ≤ 60 MB", verdict: verdict(pss <= 60e6) });
    notes.push(`memory by process (PSS/RSS KiB): ${breakdown.map((b) => `${b.command} ${b.pssKiB}/${b.rssKiB}`).join("; ")}`);
  });

  // 1 and 2. Through the router ÷ nginx directly, 20 clients, ABBA rounds ------------------------
  await section("1-2. router ÷ direct", async () => {
    // The reference: the host's nginx as a bare proxy (one worker, keep-alive to the same socket,
    // no access log, the same X-Forwarded headers) in front of the same nginx, measured in the same
    // rounds. What it adds is the least any proxy in front adds on this machine.
    const reference = await startReferenceProxy(direct("staging").socketPath!);
    const viaReference: Target = { host: "127.0.0.1", port: reference.port, hostHeader: "staging.bench.localhost" };
    const targetOf = (via: "direct" | "router" | "nginx") => (via === "router" ? viaRouter("staging") : via === "nginx" ? viaReference : direct("staging"));
    try {
    for (const [n, label, p, goal, expect] of [
      [1, "Template page (PHP)", "/", 1.3, 'id="visits"'],
      [2, "Static file /static/site.css", "/static/site.css", 1.2, "body {"],
    ] as const) {
      for (const t of [viaRouter("staging"), direct("staging"), viaReference]) {
        const check = await getOnce(t, p);
        if (check.status !== 200 || !check.body.includes(expect)) throw new Error(`${p} ${t.socketPath ? "directly" : "through the router"}: ${check.status} ${check.body.slice(0, 200)}`);
      }
      const all = { direct: [] as number[], router: [] as number[], nginx: [] as number[] };
      const rate = { direct: 0, router: 0, nginx: 0 };
      const bad: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 4 === 0 || round % 4 === 3 ? (["direct", "router", "nginx"] as const) : (["nginx", "router", "direct"] as const);
        for (const via of order) {
          const r = await load.run<Fixed>({ op: "fixed", target: targetOf(via), path: p, clients: CLIENTS, warmup: WARMUP, requests: Math.round(REQUESTS / ROUNDS) });
          all[via].push(...r.latencies);
          rate[via] += r.latencies.length / r.seconds / ROUNDS;
          const wrong = Object.entries(r.statuses).filter(([s]) => s !== "200");
          if (wrong.length > 0 || Object.keys(r.errors).length > 0) bad.push(`${via} round ${round}: ${counts(Object.fromEntries(wrong))} ${counts(r.errors)}`);
        }
      }
      const s = (via: "direct" | "router" | "nginx") => ({ p50: pct(all[via], 50), p95: pct(all[via], 95), p99: pct(all[via], 99), reqPerS: rate[via], n: all[via].length });
      const d = s("direct");
      const r = s("router");
      const ratio50 = r.p50 / d.p50;
      const ratio95 = r.p95 / d.p95;
      const x = s("nginx");
      details[n === 1 ? "page" : "static"] = { direct: d, router: r, nginxProxy: x, ratioP50: ratio50, ratioP95: ratio95, nginxRatioP50: x.p50 / d.p50, nginxRatioP95: x.p95 / d.p95, failures: bad };
      rows.push({
        what: `${n}r. ${label}, reference: a bare nginx proxy ÷ nginx direct, ${CLIENTS} clients`,
        measured: `p50 ${ms(x.p50)} ÷ ${ms(d.p50)} = ${(x.p50 / d.p50).toFixed(2)}×; p95 ${ms(x.p95)} ÷ ${ms(d.p95)} = ${(x.p95 / d.p95).toFixed(2)}×; ${x.reqPerS.toFixed(0)} req/s`,
        goal: "(reference)",
        verdict: "met",
      });
      rows.push({
        what: `${n}. ${label}: router ÷ nginx direct, ${CLIENTS} clients`,
        measured: `p50 ${ms(r.p50)} ÷ ${ms(d.p50)} = ${ratio50.toFixed(2)}×; p95 ${ms(r.p95)} ÷ ${ms(d.p95)} = ${ratio95.toFixed(2)}×; ${r.reqPerS.toFixed(0)} vs ${d.reqPerS.toFixed(0)} req/s${bad.length ? `; FAILURES ${bad.join("; ")}` : ""}`,
        goal: `≤ ${goal}× (p50 and p95)`,
        verdict: verdict(ratio50 <= goal && ratio95 <= goal && bad.length === 0),
      });
      // What the router adds when it is not saturated: one client at a time (direct, router, router, direct).
      const alone = { direct: [] as number[], router: [] as number[] };
      for (const via of ["direct", "router", "router", "direct"] as const) {
        const one = await load.run<Fixed>({ op: "fixed", target: via === "router" ? viaRouter("staging") : direct("staging"), path: p, clients: 1, warmup: 50, requests: 250 });
        alone[via].push(...one.latencies);
      }
      (details[n === 1 ? "page" : "static"] as Record<string, unknown>).oneClient = { directP50: pct(alone.direct, 50), routerP50: pct(alone.router, 50), directP95: pct(alone.direct, 95), routerP95: pct(alone.router, 95) };
      notes.push(`${label}, one client at a time: p50 ${ms(pct(alone.router, 50))} via router vs ${ms(pct(alone.direct, 50))} direct (+${ms(pct(alone.router, 50) - pct(alone.direct, 50))}), p95 ${ms(pct(alone.router, 95))} vs ${ms(pct(alone.direct, 95))}`);
    }
    } finally {
      await reference.stop();
    }
  });

  // 3. Redeploys under 20 clients -----------------------------------------------------------------
  await section("3. redeploys", async () => {
    const per: { ms: number; count: number; failed: number; statuses: Counts; errors: Counts; maxMs: number; failures: Continuous["failures"] }[] = [];
    for (let i = 0; i < REDEPLOYS; i++) {
      const before = currentRelease("staging");
      const job = load.run<Continuous>({ op: "continuous", target: viaRouter("staging"), path: "/", clients: CLIENTS });
      await sleep(500);
      const started = performance.now();
      const activity = await requestEnvironmentAction(db, admin, "bench", "staging", { action: "redeploy" });
      await worker.idle();
      let row: typeof activities.$inferSelect | undefined;
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(100)) {
        [row] = await db.select().from(activities).where(eq(activities.id, activity.id));
        if (row?.state === "complete") break;
      }
      const took = performance.now() - started;
      await sleep(500);
      load.stop();
      const r = await job;
      if (row?.result !== "success") throw new Error(`redeploy ${i + 1} did not succeed: ${JSON.stringify(row)}`);
      if (currentRelease("staging") === before) throw new Error(`redeploy ${i + 1} did not switch the release`);
      const failed = r.count - (r.statuses["200"] ?? 0);
      per.push({ ms: took, count: r.count, failed, statuses: r.statuses, errors: r.errors, maxMs: r.maxMs, failures: r.failures });
    }
    const failed = per.reduce((a, p) => a + p.failed, 0);
    details.redeploy = per;
    rows.push({
      what: `3. Failed requests during ${REDEPLOYS} redeploys, ${CLIENTS} clients via router`,
      measured: `${failed} of ${per.reduce((a, p) => a + p.count, 0)} (per redeploy: ${per.map((p) => `${p.failed}/${p.count} in ${(p.ms / 1000).toFixed(1)} s, slowest ${ms(p.maxMs)}`).join("; ")})`,
      goal: "0",
      verdict: verdict(failed === 0),
    });
    for (const [i, p] of per.entries()) if (p.failed > 0) notes.push(`redeploy ${i + 1} failures: statuses ${counts(p.statuses)}; errors ${counts(p.errors)}; answers: ${[...new Set(p.failures.map((f) => String(f.what)))].join(" | ")}`);
    // What the environment's error.log (nginx's errors and the router's) says about them.
    const errorLog = fs.readFileSync(path.join(dataPaths.environmentLogs("bench", "staging"), "error.log"), "utf8").split("\n").filter(Boolean);
    const kinds = new Map<string, number>();
    for (const l of errorLog.filter((e) => !e.includes("PHP message: visit"))) {
      const k = l.replace(/^\S+ /, "").replace(/\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, "").replace(/\d+#\d+: \*\d+ /, "").replace(/, client: .*/, "").replace(/, upstream: .*/, "").slice(0, 140);
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    details.redeployErrorLog = Object.fromEntries(kinds);
    if (failed > 0) notes.push(`staging's error.log: ${[...kinds].map(([k, v]) => `${v}× ${k}`).join(" | ")}`);
  });

  // 4. PHP-FPM's master killed → /health 200 again through the router ------------------------------
  await section("4. kill", async () => {
    const parentOf = (pid: string) => {
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return st.slice(st.lastIndexOf(")") + 2).split(" ")[1]!;
      } catch {
        return "gone";
      }
    };
    const isFpmMaster = (pid: string) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("php-fpm: master");
      } catch {
        return false;
      }
    };
    /** PHP-FPM's master of a deployment: its sandbox's bubblewrap (two processes up) names the deployment folder. */
    const fpmMaster = (deployDir: string) =>
      fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p) && isFpmMaster(p)).filter((p) => {
        try {
          return fs.readFileSync(`/proc/${parentOf(parentOf(p))}/cmdline`, "utf8").includes(deployDir);
        } catch {
          return false;
        }
      });
    const web = () => localDriver.environmentStatus("bench", "staging")!.processes[0]!;
    const times: number[] = [];
    const answers: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      // The restart delay doubles while the sandbox keeps exiting within 10 s of its start: each kill waits for a fresh one.
      while (!(web().state === "running" && Date.now() - Date.parse(web().startedAt ?? "") > 10_500)) await sleep(100);
      const deployDir = fs.realpathSync(path.join(environmentDeployDir("bench", "staging"), "current"));
      const pids = fpmMaster(deployDir);
      if (pids.length !== 1) throw new Error(`kill ${i + 1}: expected one PHP-FPM master for ${deployDir}, found ${pids.length} (${JSON.stringify(web())})`);
      const restarts = web().restarts;
      const seen: Counts = {};
      const killed = performance.now();
      process.kill(Number(pids[0]), "SIGKILL");
      // Serving again: /health 200 from the sandbox the supervisor started again (the dying one's PHP-FPM workers may still answer a moment).
      for (;;) {
        const r = await getOnce(viaRouter("staging"), "/health", 1000);
        const ok = r.status === 200 && r.body.includes('"status":"ok"');
        if (ok && web().restarts > restarts) break;
        const what = ok ? "200 from the dying sandbox" : String(r.status || "no answer");
        seen[what] = (seen[what] ?? 0) + 1;
        if (performance.now() - killed > 30_000) throw new Error(`kill ${i + 1}: /health did not answer 200 from a new sandbox within 30 s`);
        await sleep(5);
      }
      times.push(performance.now() - killed);
      answers.push(counts(seen));
    }
    const max = Math.max(...times);
    details.kill = { times, answersMeanwhile: answers };
    rows.push({ what: `4. PHP-FPM master SIGKILL → /health 200 via router (${KILLS}×)`, measured: `max ${ms(max)} (${times.map((t) => t.toFixed(0)).join(", ")} ms)`, goal: "≤ 1 s", verdict: verdict(max <= 1000) });
    notes.push(`while killed, /health through the router answered: ${answers.join(" | ")}`);
  });

  // 6. The dashboard's responsiveness while hostile applications run -----------------------------
  await section("6. hostile", async () => {
    let seq = 0;
    /** A deployment folder as a deploy leaves it (files, a var mount, `current`), started by the driver directly. */
    const startHostile = async (name: string, cfg: ProjectConfig, files: Record<string, string>) => {
      const envDir = environmentDeployDir("hostile", name);
      const releaseId = `r${++seq}`;
      const dir = path.join(envDir, releaseId);
      for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), content);
      }
      fs.mkdirSync(path.join(dir, "var"), { recursive: true });
      const volume = fs.mkdtempSync(path.join(dataDir, "var-"));
      hostileEnvironments.push(name);
      const log = recordingLog();
      const outcome = await localDriver.startRelease({ projectId: "hostile", environmentName: name, releaseId, deployDir: dir, config: cfg, env: { MAGENTO_CLOUD_ENVIRONMENT: name }, binds: [{ source: volume, dest: "/app/var" }] }, log.log);
      if (!outcome.ok) throw new Error(`the hostile ${name} did not start: ${outcome.message}\n${log.text()}`);
      fs.symlinkSync(dir, path.join(envDir, "current"));
    };
    const tiny = { "public/index.php": "<?php echo 'ok';" };
    const huge = { "public/index.php": "<?php header('Content-Type: application/octet-stream'); $c = str_repeat('x', 1 << 20); for ($i = 0; $i < 1024; $i++) echo $c;" };
    const appLog = (env: string, name: string) => fs.readFileSync(path.join(dataPaths.environmentLogs("hostile", env), `${name}.log`), "utf8");
    const scenarios: { name: string; label: string; start: () => Promise<void>; attack?: () => Record<string, unknown>; evidence: () => string }[] = [
      {
        name: "bomb",
        label: "fork bomb (worker `b() { b | b & }; b`)",
        start: () => startHostile("bomb", config({ workers: { bomb: { commands: { start: "sleep 1; b() { b | b & }; b" } } } }), tiny),
        evidence: () => `fork failures in its log: ${(appLog("bomb", "worker-bomb").match(/fork|Resource temporarily unavailable/g) ?? []).length}`,
      },
      {
        name: "eat",
        label: "memory eater (worker allocating 1 MiB at a time)",
        start: () => startHostile("eat", config({ workers: { eat: { commands: { start: `node -e 'const a=[];for(;;)a.push(Buffer.alloc(1<<20,1))'` } } } }), tiny),
        evidence: () => `killed/exited ${(appLog("eat", "worker-eat").match(/Worker eat (was killed|exited)/g) ?? []).length}× (APP_MEMORY_MB=128)`,
      },
      {
        name: "burn",
        label: "CPU burners (4 workers `while :; do :; done`)",
        start: () => startHostile("burn", config({ workers: Object.fromEntries([1, 2, 3, 4].map((k) => [`burn${k}`, { commands: { start: "while :; do :; done" } }])) }), tiny),
        evidence: () => "",
      },
      {
        name: "big",
        label: "1 GiB answers (4 downloaders via router)",
        start: () => startHostile("big", config({}), huge),
        attack: () => ({ op: "download", target: viaRouter("big", "hostile"), path: "/", concurrent: 4 }),
        evidence: () => "",
      },
      {
        name: "slow",
        label: "slowloris (200 connections, 1 header byte/s)",
        start: async () => undefined,
        attack: () => ({ op: "slowloris", target: viaRouter("master"), conns: 200 }),
        evidence: () => "",
      },
    ];
    const attacker = clientThread();
    const pings = pinger.run<{ pings: Sample[]; calms: Sample[] }>({ op: "ping", health: { host: "127.0.0.1", port: healthPort, hostHeader: "localhost" }, calm: viaRouter("master"), everyMs: 20, calmMs: 100 });
    const quietElu = eventLoopUtilization();
    await sleep(3000);
    const quietBusy = eventLoopUtilization(quietElu).utilization;
    /** CPU seconds the release's cgroup used so far (null where no cgroup counts it). */
    const environmentCpuSeconds = (name: string): number | null => {
      const status = localDriver.environmentStatus("hostile", name);
      if (!status) return null;
      try {
        const file = JSON.parse(fs.readFileSync(path.join(releaseDir("hostile", name, status.releaseId), "status.json"), "utf8")) as { processes: { pid: number | null }[] };
        const pid = file.processes.find((p) => p.pid)?.pid;
        for (const l of fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n")) {
          const [, controllers, rel] = l.split(":");
          if (controllers?.split(",").includes("cpuacct")) return Number(fs.readFileSync(`/sys/fs/cgroup/${controllers}${rel}/cpuacct.usage`, "utf8")) / 1e9;
          if (controllers === "" && rel && rel !== "/" && fs.existsSync(`/sys/fs/cgroup${rel}/cpu.stat`)) return Number(/usage_usec (\d+)/.exec(fs.readFileSync(`/sys/fs/cgroup${rel}/cpu.stat`, "utf8"))?.[1]) / 1e6;
        }
      } catch {
        /* gone, or no cgroup here */
      }
      return null;
    };
    const windows: { name: string; label: string; from: number; to: number; cpu: number; loop: number; evidence: string; attack: unknown }[] = [{ name: "quiet", label: "quiet (nothing hostile)", from: Date.now() - 3000, to: Date.now(), cpu: NaN, loop: quietBusy, evidence: "", attack: null }];
    for (const sc of scenarios) {
      const from = Date.now();
      const cpu0 = cpuTimes();
      const elu0 = eventLoopUtilization();
      await sc.start();
      const attack = sc.attack ? attacker.run<Record<string, unknown>>(sc.attack()) : null;
      // (Slowloris longer: the router drops a connection that has not sent its headers within 10 s.)
      await sleep((sc.name === "slow" ? HOSTILE_SECONDS + 6 : HOSTILE_SECONDS) * 1000);
      const cpu1 = cpuTimes();
      const ownCpu = sc.name === "slow" ? null : environmentCpuSeconds(sc.name);
      if (attack) attacker.stop();
      const attackResult = attack ? await attack : null;
      const evidence = sc.evidence();
      if (sc.name !== "slow") await localDriver.stopEnvironment("hostile", sc.name, "The benchmark's scenario is over.");
      windows.push({ name: sc.name, label: sc.label, from, to: Date.now(), cpu: (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total), loop: eventLoopUtilization(elu0).utilization, evidence: [ownCpu === null ? "" : `its cgroup used ${ownCpu.toFixed(1)} s of CPU (APP_CPUS=1)`, evidence].filter(Boolean).join("; "), attack: attackResult });
      await sleep(1000);
    }
    pinger.stop();
    const { pings: all, calms } = await pings;
    await attacker.terminate();
    const out: unknown[] = [];
    for (const w of windows) {
      const inside = (s: Sample) => s[0] >= w.from && s[0] <= w.to;
      const p = all.filter(inside);
      const c = calms.filter(inside);
      const times = p.map((s) => s[1]);
      const failed = p.filter((s) => s[2] !== 200).length;
      const calmFailed = c.filter((s) => s[2] !== 200).length;
      const calmMax = Math.max(...c.map((s) => s[1]));
      const p99 = pct(times, 99);
      const attack = w.attack as Record<string, unknown> | null;
      const attackText = !attack ? "" : w.name === "big" ? `; ${mib(attack.bytes as number)} passed, ${attack.complete} whole, ${attack.cut} cut` : `; slowloris opened ${attack.opened}, closed by the router ${attack.closedByServer}, at most ${attack.maxOpen} open`;
      out.push({ scenario: w.name, p50: pct(times, 50), p99, max: Math.max(...times), pings: times.length, failed, calm: { asked: c.length, failed: calmFailed, maxMs: calmMax }, cpuBusy: w.cpu, eventLoopBusy: w.loop, evidence: w.evidence, attack });
      rows.push({
        what: `6. /api/health-style endpoint p99 — ${w.label}`,
        measured: `p99 ${ms(p99)}, p50 ${ms(pct(times, 50))}, max ${ms(Math.max(...times))} (${times.length} pings${failed ? `, ${failed} FAILED` : ""}); calm env ${c.length - calmFailed}/${c.length} ok, slowest ${ms(calmMax)}`,
        goal: "p99 ≤ 200 ms; calm env answers",
        verdict: verdict(p99 <= 200 && failed === 0 && calmFailed === 0),
      });
      if (w.name === "quiet") notes.push(`quiet: this process's event loop busy ${(w.loop * 100).toFixed(0)}%`);
      else notes.push(`${w.name}: this process's event loop busy ${(w.loop * 100).toFixed(0)}%; machine CPU busy ${(w.cpu * 100).toFixed(0)}% of 2 cores (other users' work included) over ${((w.to - w.from) / 1000).toFixed(0)} s${w.evidence ? `; ${w.evidence}` : ""}${attackText}`);
    }
    details.hostile = out;
  });
} finally {
  load.stop();
  pinger.stop();
  await load.terminate();
  await pinger.terminate();
  await worker.stop().catch(() => undefined);
  for (const env of ["master", "staging"]) {
    await localDriver.stopEnvironment("bench", env, "The benchmark is over.");
    await localDriver.removeServices("bench", env, "The benchmark is over.");
  }
  for (const env of hostileEnvironments) await localDriver.stopEnvironment("hostile", env, "The benchmark is over.");
  router.close();
  health.close();
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
const width = (k: keyof Row) => Math.max(k.length, ...rows.map((r) => r[k].length));
const line = (r: Record<keyof Row, string>) => `${r.what.padEnd(width("what"))}  ${r.measured.padEnd(width("measured"))}  ${r.goal.padEnd(width("goal"))}  ${r.verdict}`;
console.log(`\nbench:runtime (${CLIENTS} clients, ${REQUESTS} measured requests per mode in ${ROUNDS} interleaved rounds; APP_MEMORY_MB=128, APP_MAX_PROCESSES=64, APP_STOP_GRACE=5, ROUTER_MAX_RESPONSE_MB=256)`);
console.log(line({ what: "what", measured: "measured", goal: "goal", verdict: "verdict" }));
for (const r of rows) console.log(line(r));
for (const n of notes) console.log(`  · ${n}`);
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows, details }, null, 2));
process.exit(failed ? 1 : 0);
