// Benchmark (issue 4, #4): a build hook printing 100,000 lines, run through the worker's
// log writer (batched inserts, NOTIFY per batch) against the same hook writing to
// /dev/null. Reports both times and their ratio (the budget is 1.5×).
// Run: npm run bench:log-ingestion [-- postgres]   (PGlite; or a throwaway PostgreSQL, or BENCH_DATABASE_URL)
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { eq } from "drizzle-orm";
import { openDatabase } from "@/db/client";
import { findPostgresBinDir, startCluster } from "@/db/testing/postgres-cluster";
import { activities, environments } from "@/db/schema";
import { ActivityLog } from "@/lib/activities/activity-log";
import { enqueueActivity, getActivityLog } from "@/lib/activities/queue";
import { resetEnvForTests } from "@/lib/env";
import { createProject } from "@/lib/projects/create-project";
import { makeUser } from "@/lib/testing-fixtures";
import { runHook } from "@/lib/runtime/run-hook";
import { ACTIVITY_KINDS } from "@/lib/activity-kinds";
import { benchTempDir } from "./temp-dir";

const LINES = 100_000;
const SCRIPT = `for i in $(seq 1 ${LINES}); do echo "[build] compiling module $i of ${LINES}: app/code/Vendor/Module$i/etc/di.xml ok"; done`;

const dataDir = benchTempDir("pwi-bench-ingest-");
process.env.DATA_DIR = dataDir;
resetEnvForTests();
// `-- postgres`: a throwaway PostgreSQL cluster from the installed binaries.
const cluster = process.argv.includes("postgres") ? await startCluster(findPostgresBinDir() ?? "") : null;
const url = cluster?.url ?? process.env.BENCH_DATABASE_URL;
const database = await openDatabase(url ? { databaseUrl: url } : { dataDir });
await database.migrate();
const db = database.db;
const admin = await makeUser(db, { isAdmin: true });
await createProject(db, admin, { id: "ingest", title: "Ingest", plan: "starter", region: "us-3" });
const [staging] = await db.select().from(environments).where(eq(environments.name, "staging"));

function devNull(): number {
  const t0 = performance.now();
  const r = spawnSync("bash", ["-c", `${SCRIPT} > /dev/null`]);
  if (r.status !== 0) throw new Error(String(r.stderr));
  return performance.now() - t0;
}

async function throughWorker(): Promise<{ hook: number; stored: number; cpu: number }> {
  const activity = await enqueueActivity(ACTIVITY_KINDS, db, {
    projectId: "ingest",
    environmentId: staging!.id,
    environmentName: "staging",
    occupies: [staging!.id],
    type: "environment.redeploy",
    description: "ingestion bench",
    parameters: {},
    createdBy: admin.id,
  });
  await db.update(activities).set({ state: "in_progress" }).where(eq(activities.id, activity.id));
  const log = new ActivityLog(db, activity.id);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runHook({ script: SCRIPT, phase: "build", sandbox: { appDir: dataDir, appWritable: true, binds: [], network: false }, env: {}, log });
  const hook = performance.now() - t0; // the hook has exited and both pipes are read
  await log.flush(); // every line stored
  const stored = performance.now() - t0;
  const cpuUsed = process.cpuUsage(cpu0);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1000;
  if (result.exitCode !== 0) throw new Error("hook failed");
  const last = await getActivityLog(db, activity.id, LINES - 1, 10);
  if (last.at(-1)?.seq !== LINES) throw new Error(`expected ${LINES} lines, the last is ${last.at(-1)?.seq}`);
  return { hook, stored, cpu };
}

const rounds = 5;
const base: number[] = [];
const hooks: number[] = [];
const stored: number[] = [];
const cpus: number[] = [];
for (let i = 0; i < rounds; i++) {
  base.push(devNull());
  const r = await throughWorker();
  hooks.push(r.hook);
  stored.push(r.stored);
  cpus.push(r.cpu);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`database: ${url ? "PostgreSQL" : "PGlite"}; ${LINES.toLocaleString("en-US")} lines, ${rounds} rounds`);
console.log(`hook to /dev/null:      ${base.map((x) => x.toFixed(0)).join(", ")} ms (median ${median(base).toFixed(0)} ms)`);
console.log(`hook through the worker, until the hook has finished: ${hooks.map((x) => x.toFixed(0)).join(", ")} ms (median ${median(hooks).toFixed(0)} ms), ratio ${(median(hooks) / median(base)).toFixed(2)}× (budget 1.5×)`);
console.log(`… until every line is stored:     ${stored.map((x) => x.toFixed(0)).join(", ")} ms (median ${median(stored).toFixed(0)} ms), ratio ${(median(stored) / median(base)).toFixed(2)}×`);
console.log(`this process's CPU time meanwhile (reading, storing${url ? "" : ", PGlite itself"}): ${cpus.map((x) => x.toFixed(0)).join(", ")} ms`);
await database.close();
await cluster?.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
