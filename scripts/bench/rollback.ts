// Benchmark (backups issue: rollback), in this process: the database, a worker, the router (nginx
// in front, as the server starts it) and real releases of the PHP template.
//   rollback  Roll back staging to its previous deployment (the request, as the console's button
//             makes it) → the site through the router serves that deployment's commit, while 20
//             keep-alive clients GET the page through the router; then Redeploy returns to the
//             branch's head (not measured), BENCH_ROUNDS times (5): each time and every failed
//             request (non-200 or connection error) (goals ≤ 2 s, 0 failed)
// Run: npm run bench:rollback   (BENCH_ROUNDS=n; BENCH_JSON=<file> also writes the numbers)
import fs from "node:fs";
import http from "node:http";
import { and, desc, eq } from "drizzle-orm";
import { benchTempDir } from "./temp-dir";

const dataDir = benchTempDir("pwi-bench-rollback-");
process.env.DATA_DIR = dataDir;
process.env.PROJECT_TEMPLATE_SERVICES = "none";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CLIENTS = 20;

const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();
const { startLocalStack } = await import("./local-stack");
const { deployments, environments } = await import("@/db/schema");
const { createProject } = await import("@/lib/projects/create-project");
const { makeUser } = await import("@/lib/testing-fixtures");
const { commitOn } = await import("@/lib/testing-git");
const { requestEnvironmentAction } = await import("@/lib/environments/request-action");
const { requestRollback } = await import("@/lib/environments/deployments");
const { sandboxSupport } = await import("@/lib/runtime/sandbox");

if (!sandboxSupport().ok) {
  console.error("\n\n!!! bench:rollback CANNOT RUN: releases need bubblewrap, nginx and php-fpm here !!!\n\n");
  process.exit(1);
}

const stack = await startLocalStack(dataDir);
const { db, worker, routerPort } = stack;
const projectId = "bench-rollback";
const host = `staging.${projectId}.localhost`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
/** The commit the page shows, or the failure. */
function get(): Promise<{ ok: true; commit: string } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port: routerPort, path: "/", headers: { host }, agent, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(res.statusCode === 200 ? { ok: true, commit: /<code id="commit">([0-9a-f]{40})<\/code>/.exec(body)?.[1] ?? "" } : { ok: false, why: `HTTP ${res.statusCode}` }));
      res.on("error", (e) => resolve({ ok: false, why: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ ok: false, why: e.message }));
  });
}

const rows: { round: number; ms: number; requests: number; failed: string[] }[] = [];
try {
  const admin = await makeUser(db, { isAdmin: true });
  await createProject(db, admin, { id: projectId, title: "Rollback", plan: "starter", region: "us-3" });
  await worker.idle();
  const staging = async () => (await db.select().from(environments).where(and(eq(environments.projectId, projectId), eq(environments.name, "staging"))))[0]!;
  const first = (await staging()).deployedCommit!;
  const second = await commitOn(projectId, "master", { "templates/second.txt": "2" }, "A second deployment");
  await requestEnvironmentAction(db, admin, projectId, "staging", { action: "sync", code: true, data: false, rebase: false });
  await worker.idle();
  if ((await staging()).deployedCommit !== second) throw new Error("the second deployment did not happen");

  for (let round = 1; round <= ROUNDS; round++) {
    // The previous deployment of the first commit (not the one serving).
    const [previous] = await db.select().from(deployments).where(and(eq(deployments.environmentId, (await staging()).id), eq(deployments.commit, first))).orderBy(desc(deployments.createdAt)).limit(1);
    let stop = false;
    let requests = 0;
    const failed: string[] = [];
    let servedAt = 0;
    const t0 = performance.now();
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (!stop) {
        const r = await get();
        requests++;
        if (!r.ok) failed.push(r.why);
        else if (r.commit === first && servedAt === 0) servedAt = performance.now();
      }
    });
    await new Promise((r) => setTimeout(r, 300)); // the clients are under way
    const clicked = performance.now();
    await requestRollback(db, admin, projectId, "staging", previous!.id);
    while (servedAt === 0 && performance.now() - clicked < 30_000) await new Promise((r) => setTimeout(r, 5));
    const ms = servedAt - clicked;
    await worker.idle();
    // Back to the head (Redeploy), under the same clients.
    await requestEnvironmentAction(db, admin, projectId, "staging", { action: "redeploy" });
    await worker.idle();
    stop = true;
    await Promise.all(clients);
    if ((await staging()).deployedCommit !== second) throw new Error("Redeploy did not return to the head");
    rows.push({ round, ms, requests, failed });
    console.log(`round ${round}: click → serving ${ms.toFixed(0)} ms; ${requests} requests over ${((performance.now() - t0) / 1000).toFixed(1)} s, ${failed.length} failed${failed.length ? ` (${[...new Set(failed)].join(", ")})` : ""}`);
  }
  const times = rows.map((r) => r.ms).sort((a, b) => a - b);
  const failures = rows.reduce((n, r) => n + r.failed.length, 0);
  const total = rows.reduce((n, r) => n + r.requests, 0);
  console.log(`\nbench:rollback (${CLIENTS} clients through the router, ${ROUNDS} roll backs, each followed by a Redeploy back to the head)`);
  console.log(`| Roll back → serving the previous deployment | median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms | ≤ 2 s | ${times.at(-1)! <= 2000 ? "met" : "NOT MET"} |`);
  console.log(`| Failed requests meanwhile (roll backs and redeploys) | ${failures} of ${total} | 0 | ${failures === 0 ? "met" : "NOT MET"} |`);
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows }, null, 2));
} finally {
  agent.destroy();
  await worker.stop();
  stack.router.close();
  await stack.database.close();
}
process.exit(0);
