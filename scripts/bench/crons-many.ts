// Benchmark (crons, many environments): 100 active environments (50 Starter projects, their master
// and staging, running the template's application) whose cron runs every minute (`* * * * *`,
// `echo cron`), against the same server with CRON_SCHEDULER=0. Each side: the server started on
// the same data, 30 s to settle, then 150 s of /api/health every 100 ms and a project page every
// 250 ms (signed in; the project's own crons write to it): health p99 and page p95 with the
// scheduler ÷ without (goal: within 1.2×), and how many cron runs started, succeeded and were
// skipped or missed meanwhile. The crons' own processes are part of the load measured.
// The measured window opens 15 s past a minute on each side (two minute boundaries in 150 s).
// The sides alternate over BENCH_ROUNDS rounds (2: without, with, with, without) and each side's
// answers are pooled before its percentiles are taken.
// Run: npm run bench:crons-many [-- postgres]   (BENCH_PROJECTS=n, 50; BENCH_SECONDS=s, 150; BENCH_ROUNDS=n, 2; BENCH_SIDES=1, the scheduler's side alone;
// BENCH_SLOW=1, the slow answers (BENCH_SLOW_MS=n, over 20 ms); PWI_LOG_TURNS_MS=n, the database's long turns; BENCH_SERVER_LOG=<prefix>, each side's server output; `postgres`:
// on a throwaway PostgreSQL cluster from the installed binaries instead of the embedded database)
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { startServer, type TestServer } from "../../e2e/support/server";
import { startSignedIn, cookieOf, waitForQuiet } from "./support";

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 150);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** BENCH_SLOW=1 lists the answers slower than this (BENCH_SLOW_MS, 20 ms). */
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 20);
// The projects' template without services (a MariaDB per environment is not what is measured).
process.env.PROJECT_TEMPLATE_SERVICES = "none";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
};

/** CPU time (ms) a process has used, from /proc. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The machine's CPU counters (all cores), from /proc/stat. */
function machineCpu(): { idle: number; total: number } {
  const n = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: n[3]! + n[4]!, total: n.reduce((a, b) => a + b, 0) };
}

/** Asks `path` every `everyMs` until `until`: the times (ms), the failures, and how many answers were rendered rather than kept (x-page-cache: miss). */
async function sample(url: string, headers: Record<string, string>, everyMs: number, until: number) {
  const times: number[] = [];
  /** The slow answers (over SLOW_MS): when (seconds past the minute) and whether rendered. */
  const slow: string[] = [];
  let failures = 0;
  let rendered = 0;
  while (Date.now() < until) {
    const t0 = performance.now();
    const res = await fetch(url, { headers }).catch(() => null);
    await res?.arrayBuffer().catch(() => undefined);
    if (!res?.ok) failures++;
    const miss = res?.headers.get("x-page-cache") === "miss";
    if (miss) rendered++;
    const ms = performance.now() - t0;
    const db = /db;dur=([\d.]+)/.exec(res?.headers.get("server-timing") ?? "")?.[1];
    if (ms > SLOW_MS) slow.push(`${Math.round(ms)}${db ? `(db ${Math.round(Number(db))})` : ""}@${((Date.now() % 60_000) / 1000).toFixed(1)}${miss ? "m" : ""}`);
    times.push(ms);
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (performance.now() - t0))));
  }
  return { times, failures, rendered, slow };
}

// `postgres`: a throwaway cluster, and a database on it for the server.
const cluster = process.argv.includes("postgres") ? await (async () => {
  const { findPostgresBinDir, startCluster } = await import("@/db/testing/postgres-cluster");
  const { createPostgresTestDatabase } = await import("@/db/testing/databases");
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error("No PostgreSQL server binaries here: install postgresql, or run without `postgres`.");
  const c = await startCluster(binDir);
  return { ...c, databaseUrl: (await createPostgresTestDatabase(c.url)).url };
})() : null;
const databaseUrl = cluster?.databaseUrl;
const { server: first, browser, page } = await startSignedIn({ databaseUrl });
let server: TestServer = first;
const { dataDir, port } = server;
try {
  const cookie = await cookieOf(page.context());
  await waitForQuiet(server, cookie);
  await server.stop();

  // The projects, written while no server runs: each branch's cron every minute, committed
  // before its first deploy (the server's worker deploys them when it starts).
  process.env.DATA_DIR = dataDir;
  const { resetEnvForTests } = await import("@/lib/env");
  resetEnvForTests();
  const { openDatabase } = await import("@/db/client");
  const { users } = await import("@/db/schema");
  const { createProject } = await import("@/lib/projects/create-project");
  const { commitOn } = await import("@/lib/testing-git");
  const { projectTemplate } = await import("@/lib/git/template");
  const { eq } = await import("drizzle-orm");
  const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir });
  const [admin] = await database.db.select().from(users).where(eq(users.email, "bench@example.com"));
  const app = projectTemplate("x", [])[".magento.app.yaml"]!.replace(/spec: "\*\/5 \* \* \* \*"/, 'spec: "* * * * *"');
  if (!app.includes('spec: "* * * * *"')) throw new Error("The template's cron was not found: change this benchmark with the template.");
  const ids: string[] = [];
  for (let i = 0; i < PROJECTS; i++) {
    const id = `crons-${String(i).padStart(3, "0")}`;
    await createProject(database.db, { id: admin!.id, email: admin!.email, name: admin!.name, isAdmin: true }, { id, title: `Crons ${i}`, plan: "starter", region: "us-3" });
    for (const branch of ["master", "staging"]) await commitOn(id, branch, { ".magento.app.yaml": app }, "A cron every minute");
    ids.push(id);
  }
  await database.close();
  // Deployed by a server that schedules nothing.
  server = await startServer({ dataDir, port, databaseUrl, env: { CRON_SCHEDULER: "0" } });
  const deployStarted = Date.now();
  for (const id of ids) await waitForQuiet(server, cookie, id);
  console.log(`${PROJECTS * 2} environments deployed in ${Math.round((Date.now() - deployStarted) / 1000)} s`);
  await server.stop();

  const results: Record<string, unknown> = {};
  // Each side's answers over every round, pooled: one 150 s window of a side is noisy (the same
  // build's /api/health p99 has ranged 24-40 ms from run to run), so the sides alternate (A B, B A, …).
  const pooled: Record<string, { health: number[]; pages: number[] }> = {};
  const sides = (process.env.BENCH_SIDES ?? "0,1").split(",");
  const order = Array.from({ length: ROUNDS }, (_, round) => (round % 2 === 0 ? sides : [...sides].reverse())).flat();
  for (const scheduler of order) {
    // BENCH_PROFILE=<dir>: the server's CPU profile (node --cpu-prof) of each side is written there.
    const profile: Record<string, string> = process.env.BENCH_PROFILE ? { E2E_SERVER_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` } : {};
    server = await startServer({ dataDir, port, databaseUrl, env: { CRON_SCHEDULER: scheduler, PWI_REPORT_EVENT_LOOP: "5000", ...profile } });
    await new Promise((r) => setTimeout(r, 30_000)); // every environment revived, the first pages rendered
    // The window opens 15 s past a minute on both sides, so each holds as many minute boundaries
    // (each one a hundred crons due at once) and as much of what follows them: two in 150 s.
    await new Promise((r) => setTimeout(r, (75_000 - (Date.now() % 60_000)) % 60_000));
    const since = new Date().toISOString();
    const outputFrom = server.output().length;
    const [serverCpu0, machine0] = [cpuMs(server.pid), machineCpu()];
    const until = Date.now() + SECONDS * 1000;
    const [health, pages] = await Promise.all([
      sample(`${server.url}/api/health`, {}, 100, until),
      sample(`${server.url}/projects/${ids[0]}`, { cookie }, 250, until),
    ]);
    // What the crons did meanwhile, read through the API of each project.
    let started = 0;
    let succeeded = 0;
    /** Each ended run's wait between its activity (made at its time) and its start: the queue behind the other crons of that minute. */
    const waits: number[] = [];
    for (const id of ids) {
      const res = await fetch(`${server.url}/api/projects/${id}/activities?type=environment.cron`, { headers: { cookie } });
      const body = (await res.json()) as { running: unknown[]; pending: unknown[]; recent: { createdAt: string; result: string | null; waitMs: number | null }[] };
      const recent = body.recent.filter((a) => a.createdAt >= since);
      started += recent.length + body.running.length + body.pending.length;
      succeeded += recent.filter((a) => a.result === "success").length;
      waits.push(...recent.flatMap((a) => (a.waitMs === null ? [] : [a.waitMs])));
    }
    const [serverCpu1, machine1] = [cpuMs(server.pid), machineCpu()];
    const loops = [...server.output().slice(outputFrom).matchAll(/\[event-loop\] p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms/g)].map((m) => ({ p99: Number(m[2]), max: Number(m[3]) }));
    const side = {
      healthP99: pct(health.times, 99),
      healthFailures: health.failures,
      pageP95: pct(pages.times, 95),
      pageP50: pct(pages.times, 50),
      pageP99: pct(pages.times, 99),
      // The page's own crons change what it shows: the share of its answers rendered again.
      pageRenderedPercent: Math.round((pages.rendered / pages.times.length) * 1000) / 10,
      pageFailures: pages.failures,
      cronRunsStarted: started,
      cronRunsSucceeded: succeeded,
      cronStartWaitMs: waits.length ? { p50: pct(waits, 50), p95: pct(waits, 95), max: pct(waits, 100) } : null,
      // Where the time went: the server's own event loop (worst 5-s report), its CPU, and the whole machine's (of 2 cores' worth).
      serverLoopP99Worst: Math.max(0, ...loops.map((l) => l.p99)),
      serverLoopMax: Math.max(0, ...loops.map((l) => l.max)),
      serverCpuPercent: Math.round(((serverCpu1 - serverCpu0) / (SECONDS * 1000)) * 100),
      machineBusyPercent: Math.round((1 - (machine1.idle - machine0.idle) / (machine1.total - machine0.total)) * 100),
    };
    console.log(`CRON_SCHEDULER=${scheduler}: ${JSON.stringify(side)}`);
    const pool = (pooled[scheduler] ??= { health: [], pages: [] });
    pool.health.push(...health.times);
    pool.pages.push(...pages.times);
    // BENCH_SLOW=1: the answers over SLOW_MS, as ms(the database's part, /api/health's Server-Timing)@seconds-past-the-minute (m: the page was rendered).
    if (process.env.BENCH_SLOW === "1") console.log(`  slow health: ${health.slow.join(" ")}\n  slow pages: ${pages.slow.join(" ")}`);
    // PWI_LOG_TURNS_MS=n: the database's turns that held it n ms or longer meanwhile (db/pglite-thread-worker.mjs).
    if (process.env.PWI_LOG_TURNS_MS) console.log(server.output().slice(outputFrom).split("\n").filter((l) => l.startsWith("[turn]")).join("\n"));
    const name = scheduler === "1" ? "scheduler" : "none";
    // BENCH_SERVER_LOG=<prefix>: each side's server output over its window, to <prefix>.<side>.<round> (with E2E_SERVER_NODE_ARGS=--trace-gc, its collections).
    if (process.env.BENCH_SERVER_LOG) fs.writeFileSync(`${process.env.BENCH_SERVER_LOG}.${name}.${((results[name] as unknown[] | undefined) ?? []).length}`, server.output().slice(outputFrom));
    results[name] = [...((results[name] as unknown[] | undefined) ?? []), side];
    await server.stop();
  }
  const summary = (p: { health: number[]; pages: number[] } | undefined) => (p ? { healthP99: pct(p.health, 99), pageP95: pct(p.pages, 95) } : undefined);
  const on = summary(pooled["1"]);
  const off = summary(pooled["0"]);
  const ratios = on && off ? { health: Math.round((on.healthP99 / off.healthP99) * 100) / 100, page: Math.round((on.pageP95 / off.pageP95) * 100) / 100 } : null;
  if (ratios) {
    console.log(`pooled over ${ROUNDS} round(s): with the scheduler health p99 ${on!.healthP99} ms, page p95 ${on!.pageP95} ms; without ${off!.healthP99} ms, ${off!.pageP95} ms`);
    console.log(`with ÷ without the scheduler: /api/health p99 ${ratios.health}×, page p95 ${ratios.page}× (goal ≤ 1.2× each)`);
  }
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ ...results, pooled: { scheduler: on, none: off }, ratios }, null, 2));
} finally {
  await server.stop();
  await browser.close();
  await cluster?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
