// Benchmark (crons), in this process: the database, a worker, the scheduler and real releases.
//   tick      scheduled time → the cron's process running (its first output line's time in the
//             activity's log), p50/p95/max over BENCH_CRON_RUNS runs (100) of a `* * * * *` cron,
//             while another environment is redeployed again and again (goal p95 ≤ 1 s). The
//             scheduler's clock runs 60 times faster (startCronScheduler's `speed`): a minute is a
//             second, so 100 runs take 100 s; everything after the due time runs at real speed.
//   run-now   against a production server (npm start): POST …/crons/<name>/runs (the REST API,
//             token auth) → the cron's first output line read from the activity's live log (the
//             stream the console follows, as NDJSON), 20 times one after another (goal ≤ 500 ms)
// Run: npm run bench:crons   (BENCH_CRON_RUNS=n; BENCH_JSON=<file> also writes the numbers)
import fs from "node:fs";
import { and, asc, eq, isNotNull } from "drizzle-orm";
import { benchTempDir } from "./temp-dir";

const dataDir = benchTempDir("pwi-bench-crons-");
process.env.DATA_DIR = dataDir;
process.env.PROJECT_TEMPLATE_SERVICES = "none";
const RUNS = Number(process.env.BENCH_CRON_RUNS ?? 100);
const SPEED = 60;

const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();
const { startLocalStack } = await import("./local-stack");
const { activities, cronRuns, environments } = await import("@/db/schema");
const { createProject } = await import("@/lib/projects/create-project");
const { makeUser } = await import("@/lib/testing-fixtures");
const { commitOn } = await import("@/lib/testing-git");
const { projectTemplate } = await import("@/lib/git/template");
const { requestEnvironmentAction } = await import("@/lib/environments/request-action");
const { startCronScheduler } = await import("@/lib/crons/scheduler");
const { getActivityLog } = await import("@/lib/activities/log-store");
const { sandboxSupport } = await import("@/lib/runtime/sandbox");
const { startSignedIn, demoRemote, cookieOf, waitForQuiet } = await import("./support");

if (!sandboxSupport().ok) {
  console.error("\n\n!!! bench:crons CANNOT RUN: nothing runs beside a release here (bubblewrap, nginx, php-fpm) !!!\n\n");
  process.exit(1);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const summary = (xs: number[]) => ({ n: xs.length, p50: Math.round(pct(xs, 50)), p95: Math.round(pct(xs, 95)), max: Math.round(Math.max(...xs)) });

const stack = await startLocalStack(dataDir);
const { db, worker } = stack;
let scheduler: { stop(): Promise<void> } | null = null;
let redeploying = true;
try {
  const admin = await makeUser(db, { isAdmin: true });
  const projectId = "bench-crons";
  await createProject(db, admin, { id: projectId, title: "Crons", plan: "starter", region: "us-3" });
  await worker.idle();
  // Staging: a cron every minute that prints one line at once.
  const app = projectTemplate("x", [])[".magento.app.yaml"]!.replace(/crons:[\s\S]*$/, `crons:\n  tick:\n    spec: "* * * * *"\n    cmd: "echo tick"\n`);
  // (Committed on master, which is not redeployed with it here; synced into staging, which deploys it.)
  await commitOn(projectId, "master", { ".magento.app.yaml": app }, "A cron every minute");
  await requestEnvironmentAction(db, admin, projectId, "staging", { action: "sync", code: true, data: false, rebase: false });
  await worker.idle();

  // Production redeployed again and again meanwhile.
  let redeploys = 0;
  const redeployLoop = (async () => {
    while (redeploying) {
      await requestEnvironmentAction(db, admin, projectId, "master", { action: "redeploy" }).catch(() => undefined);
      const started = Date.now();
      while (redeploying && Date.now() - started < 60_000) {
        const [busy] = await db.select({ id: activities.id }).from(activities).where(and(eq(activities.projectId, projectId), eq(activities.environmentName, "master"), eq(activities.state, "in_progress")));
        const [pending] = await db.select({ id: activities.id }).from(activities).where(and(eq(activities.projectId, projectId), eq(activities.environmentName, "master"), eq(activities.state, "pending")));
        if (!busy && !pending) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      redeploys++;
    }
  })();

  // tick: the scheduler at 60 times the real clock.
  const realStart = Date.now();
  scheduler = startCronScheduler(db, { speed: SPEED });
  const fakeStart = realStart; // its clock starts from the real time at its start
  const scheduled = () =>
    db
      .select()
      .from(activities)
      .where(and(eq(activities.projectId, projectId), eq(activities.environmentName, "staging"), eq(activities.type, "environment.cron"), isNotNull(activities.completedAt)))
      .orderBy(asc(activities.createdAt));
  let lastReport = Date.now();
  for (;;) {
    const done = await scheduled();
    if (done.length >= RUNS) break;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      const seen = await db.select({ outcome: cronRuns.outcome }).from(cronRuns).innerJoin(environments, eq(environments.id, cronRuns.environmentId)).where(eq(environments.projectId, projectId));
      console.log(`… ${done.length} of ${RUNS} runs ended; schedule records: ${seen.length} (${["started", "skipped", "missed"].map((o) => `${o} ${seen.filter((r) => r.outcome === o).length}`).join(", ")})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await scheduler.stop();
  scheduler = null;
  redeploying = false;
  await redeployLoop;
  const lags: number[] = [];
  let failed = 0;
  for (const a of (await scheduled()).slice(0, RUNS)) {
    const due = Date.parse(String((a.parameters as { scheduledFor?: string }).scheduledFor));
    const realDue = realStart + (due - fakeStart) / SPEED;
    const first = (await getActivityLog(db, a.id)).find((l) => l.text === "tick");
    if (!first || a.result !== "success") {
      failed++;
      continue;
    }
    lags.push(first.at.getTime() - realDue);
  }
  const outcomes = await db.select({ outcome: cronRuns.outcome }).from(cronRuns).innerJoin(environments, eq(environments.id, cronRuns.environmentId)).where(and(eq(environments.projectId, projectId), eq(environments.name, "staging")));
  const count = (o: string) => outcomes.filter((r) => r.outcome === o).length;
  const tick = { ...summary(lags), failed, skipped: count("skipped"), missed: count("missed"), redeploys };
  console.log(`tick: scheduled time → process running: ${JSON.stringify(tick)} ms (goal p95 ≤ 1000)`);
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ tick }, null, 2));

  await worker.stop();
} finally {
  redeploying = false;
  await scheduler?.stop();
  await worker.stop();
  stack.router.close();
  await stack.database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

// run-now: a production server's REST API, read from the live log as the console follows it.
{
  const { server, browser, page } = await startSignedIn();
  try {
    await waitForQuiet(server, await cookieOf(page.context()));
    const { token } = await demoRemote(page, server);
    const authorization = `Basic ${Buffer.from(`bench@example.com:${token}`).toString("base64")}`;
    const base = `${server.url}/api/projects/demo-store`;
    const firstLines: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/environments/staging/crons/cronrun/runs`, { method: "POST", headers: { authorization } });
      if (res.status !== 202) throw new Error(`Run now answered ${res.status}: ${await res.text()}`);
      const { activity } = (await res.json()) as { activity: { id: string } };
      const abort = new AbortController();
      const log = await fetch(`${base}/activities/${activity.id}/log?format=ndjson`, { headers: { authorization }, signal: abort.signal });
      const reader = log.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      while (!/"cron"/.test(text)) {
        const next = await reader.read();
        if (next.done) throw new Error(`The log ended without the cron's line:\n${text}`);
        text += decoder.decode(next.value);
      }
      firstLines.push(performance.now() - t0);
      // The next run after this one has ended: the stream closes with its seal.
      const ended = setTimeout(() => abort.abort(), 60_000);
      while (!(await reader.read().catch(() => ({ done: true }))).done);
      clearTimeout(ended);
    }
    const runNow = summary(firstLines);
    console.log(`run-now: POST → first output line in the live log: ${JSON.stringify(runNow)} ms (goal ≤ 500)`);
    if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ ...JSON.parse(fs.existsSync(process.env.BENCH_JSON) ? fs.readFileSync(process.env.BENCH_JSON, "utf8") : "{}"), runNow }, null, 2));
  } finally {
    await server.stop();
    await browser.close();
  }
}
// Whatever the first part's stack left scheduled (a router's or a queue's timer) does not keep the benchmark open.
process.exit(0);
