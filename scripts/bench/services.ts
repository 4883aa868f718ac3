// Benchmark (issue 35): environments' services, in one run, on a new Starter project whose
// environments run MariaDB and Redis from the template.
//   deploy    the first deploy of staging (MariaDB initialised) → its page answers from the
//             database, and a redeploy → the page answers (goals ≤ 5 s and ≤ 2 s)
//   memory    MariaDB + Redis of one idle environment: RSS and PSS (goal ≤ 150 MB)
//   branch    Branches of staging whose MariaDB holds ~200 MB (mariadb-backup, else a dump and load,
//             then the child's deploy), against `mariadb-dump | mariadb` of the same data into a running
//             empty MariaDB, measured in turns (goal ≤ 1.2×, median against median)
//   pause     safe snapshots of the same staging: how long MariaDB was stopped (goal ≤ 2 s)
// Run: npm run bench:services   (BENCH_ROWS=210000 rows of ~1 kB; BENCH_JSON=<file> also writes the numbers)
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { benchTempDir } from "./temp-dir";

const dataDir = benchTempDir("pwi-bench-services-");
process.env.DATA_DIR = dataDir;
process.env.APP_START_TIMEOUT = "120";
const ROWS = Number(process.env.BENCH_ROWS ?? 210_000);

const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();
const { startLocalStack } = await import("./local-stack");
const { activities, environments, snapshots } = await import("@/db/schema");
const { requestEnvironmentAction } = await import("@/lib/environments/request-action");
const { createProject } = await import("@/lib/projects/create-project");
const { makeUser } = await import("@/lib/testing-fixtures");
const { getRuntimeDriver } = await import("@/lib/runtime/driver/get-driver");
const { serviceRuntimeDir } = await import("@/lib/runtime/services/service-paths");
const { environmentServiceCredentials } = await import("@/lib/runtime/services/stored-credentials");
const { generateServiceCredentials } = await import("@/lib/runtime/services/service-credentials");
const { runServiceCopy } = await import("@/lib/runtime/services/service-copy");
const { startLocalServices, removeLocalServices } = await import("@/lib/runtime/driver/local-services");
const { requestSnapshot } = await import("@/lib/snapshots/snapshots");
const { mariadb, servicesGap } = await import("@/lib/runtime/services/testing-service-clients");
const { recordingLog } = await import("@/lib/runtime/testing-hooks");

{
  const why = servicesGap(["mysql:10.6", "redis:7.0"]);
  if (why) {
    console.error(`\n\n!!! bench:services CANNOT RUN: ${why} !!!\n\n`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(1);
  }
}

interface Row {
  what: string;
  value: string;
  goal: string;
  verdict: "met" | "NOT MET" | "reported";
}
const rows: Row[] = [];
const numbers: Record<string, number> = {};
const verdict = (ok: boolean): Row["verdict"] => (ok ? "met" : "NOT MET");
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const { database, db, worker, router, routerPort: port } = await startLocalStack(dataDir);
const page = (env: string) =>
  new Promise<string>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/", headers: { host: `${env}.bench.localhost:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
    req.on("error", reject);
    req.end();
  });
const fromDatabase = (body: string) => /id="visits-source">\(counted in MariaDB\)</.test(body);
const activityMs = (a: { startedAt: Date | null; completedAt: Date | null }) => a.completedAt!.getTime() - a.startedAt!.getTime();

try {
  const admin = await makeUser(db, { isAdmin: true });
  await createProject(db, admin, { id: "bench", title: "Bench", plan: "starter", region: "us-3" });
  await worker.idle();
  const [firstDeploy] = await db.select().from(activities).where(and(eq(activities.projectId, "bench"), eq(activities.environmentName, "staging"))).orderBy(activities.createdAt);
  if (firstDeploy?.result !== "success") throw new Error(`staging's first deploy did not succeed: ${firstDeploy?.description}`);
  if (!fromDatabase(await page("staging"))) throw new Error("staging's page does not count in MariaDB");
  const first = activityMs(firstDeploy);
  const asked = Date.now();
  await requestEnvironmentAction(db, admin, "bench", "staging", { action: "redeploy" });
  await worker.idle();
  if (!fromDatabase(await page("staging"))) throw new Error("after a redeploy, staging's page does not count in MariaDB");
  const redeploy = Date.now() - asked;
  numbers.firstDeployMs = first;
  numbers.redeployMs = redeploy;
  rows.push({ what: "Deploy → site answering from the database: first start (MariaDB initialised)", value: seconds(first), goal: "≤ 5 s", verdict: verdict(first <= 5000) });
  rows.push({ what: "Deploy → site answering from the database: redeploy", value: seconds(redeploy), goal: "≤ 2 s", verdict: verdict(redeploy <= 2000) });

  // Memory of the idle pair, after a few requests and 5 s of quiet.
  for (let i = 0; i < 5; i++) await page("staging");
  await new Promise((r) => setTimeout(r, 5000));
  const status = getRuntimeDriver().serviceStatus("bench", "staging");
  const rss = status.reduce((s, x) => s + x.rssBytes, 0);
  const pss = status.reduce((s, x) => s + x.pssBytes, 0);
  numbers.pairRssMb = rss / 2 ** 20;
  numbers.pairPssMb = pss / 2 ** 20;
  rows.push({ what: `Memory of ${status.map((s) => s.runs).join(" + ")} at idle (RSS / PSS)`, value: `${(rss / 2 ** 20).toFixed(0)} / ${(pss / 2 ** 20).toFixed(0)} MB`, goal: "≤ 150 MB", verdict: verdict(rss <= 150 * 2 ** 20) });

  // ~200 MB in staging's MariaDB.
  const [staging] = await db.select().from(environments).where(and(eq(environments.projectId, "bench"), eq(environments.name, "staging")));
  const credentials = await environmentServiceCredentials(db, staging!.id, "mysql", "mariadb");
  const stagingRuntime = serviceRuntimeDir("bench", "staging", "mysql");
  const fill = await mariadb(stagingRuntime, credentials, `CREATE TABLE big (id INT PRIMARY KEY AUTO_INCREMENT, payload VARCHAR(1024)) ENGINE=InnoDB; INSERT INTO big (payload) SELECT REPEAT(MD5(seq), 30) FROM seq_1_to_${ROWS}; ANALYZE TABLE big; SELECT ROUND((data_length + index_length) / 1048576) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'big';`);
  if (fill.code !== 0) throw new Error(`filling MariaDB failed: ${fill.err}`);
  const megabytes = Number(fill.out.split("\n").at(-1));
  numbers.dataMb = megabytes;
  console.log(`staging's MariaDB holds ${megabytes} MB (${ROWS.toLocaleString("en-US")} rows)`);

  // The baseline: mariadb-dump | mariadb of the same data into a running empty MariaDB (the same clients, the same sandbox).
  const baseline = async (round: number) => {
    const env = `baseline${round}`;
    const spec = { serviceId: "mysql", service: { type: "mysql:10.6", disk: 2048 }, dataDir: fs.mkdtempSync(path.join(dataDir, "baseline-")), credentials: generateServiceCredentials("mariadb") };
    const log = recordingLog();
    const started = await startLocalServices("bench", env, [spec], log.log, undefined, () => undefined);
    if (!started.ok) throw new Error(started.message);
    const t0 = performance.now();
    const copied = await runServiceCopy({
      engine: "mariadb",
      serverProgram: "/usr/sbin/mariadbd",
      source: { socketDir: path.join(stagingRuntime, "sock"), credentials },
      target: { socketDir: path.join(serviceRuntimeDir("bench", env, "mysql"), "sock"), dataDir: null, credentials: spec.credentials },
      confDir: path.join(dataDir, `baseline-conf-${round}`),
      memoryBytes: 512 * 2 ** 20,
      log: log.log,
    });
    const ms = performance.now() - t0;
    if (!copied.ok) throw new Error(`${copied.message}\n${log.text()}`);
    await removeLocalServices("bench", env, "baseline measured", { now: false });
    return ms;
  };
  // Three rounds of a baseline then a Branch (each child deactivated after it is measured, so
  // the plan's limit never refuses the next), and a last baseline: the medians' ratio, since
  // either side alone varies by ±10% from one run to the next on a loaded 2-core machine.
  const ROUNDS = Number(process.env.BENCH_BRANCH_ROUNDS ?? 3);
  const baselines: number[] = [];
  const branches: number[] = [];
  const slowestWrites: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    baselines.push(await baseline(round));
    const name = `feature${round}`;
    // A writer on staging meanwhile: how long its slowest write waited while the copy ran.
    let writing = true;
    const writer = (async () => {
      let slowest = 0;
      while (writing) {
        const t0 = performance.now();
        const r = await mariadb(stagingRuntime, credentials, "INSERT INTO big (payload) VALUES ('during the Branch')");
        if (r.code !== 0) throw new Error(`a write on staging failed during the Branch: ${r.err}`);
        slowest = Math.max(slowest, performance.now() - t0);
      }
      return slowest;
    })();
    await requestEnvironmentAction(db, admin, "bench", "staging", { action: "branch", name, title: `Feature ${round}`, type: "development" });
    await worker.idle();
    writing = false;
    slowestWrites.push(await writer);
    const [branch] = await db.select().from(activities).where(and(eq(activities.projectId, "bench"), eq(activities.type, "environment.branch"), eq(activities.environmentName, name)));
    if (branch?.result !== "success") throw new Error(`the Branch failed: ${branch?.description}`);
    if (!fromDatabase(await page(name))) throw new Error(`${name}'s page does not count in MariaDB`);
    branches.push(activityMs(branch));
    if (process.env.BENCH_VERBOSE) {
      const { getActivityLog } = await import("@/lib/activities/log-store");
      for (const l of await getActivityLog(db, branch.id)) console.log(`  ${l.at.toISOString().slice(11, 23)} ${l.text}`);
    }
    await requestEnvironmentAction(db, admin, "bench", name, { action: "deactivate", confirmation: name });
    await worker.idle();
  }
  baselines.push(await baseline(ROUNDS + 1));
  const median = (a: number[]) => {
    const sorted = [...a].sort((x, y) => x - y);
    const mid = sorted.length / 2;
    return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
  };
  const branchMs = median(branches);
  const baselineMs = median(baselines);
  numbers.branchMs = branchMs;
  numbers.slowestWriteMs = Math.max(...slowestWrites);
  rows.push({ what: `Staging during each Branch: its slowest write (one INSERT by a new client, over and over)`, value: slowestWrites.map((ms) => `${ms.toFixed(0)} ms`).join(", "), goal: "reported", verdict: "reported" });
  numbers.dumpLoadMs = baselineMs;
  rows.push({ what: `Branch of staging with ${megabytes} MB in MariaDB (copy, then the child's deploy; ${ROUNDS} Branches: ${branches.map(seconds).join(", ")}) ÷ mariadb-dump | mariadb of the same data (${baselines.map(seconds).join(", ")}), medians`, value: `${seconds(branchMs)} ÷ ${seconds(baselineMs)} = ${(branchMs / baselineMs).toFixed(2)}×`, goal: "≤ 1.2×", verdict: verdict(branchMs / baselineMs <= 1.2) });

  // Safe snapshots: the pause.
  const pauses: number[] = [];
  for (let i = 0; i < 2; i++) {
    const { snapshot } = await requestSnapshot(db, admin, "bench", "staging", { consistency: "consistent", replaceOldest: true });
    await worker.idle();
    const [made] = await db.select().from(snapshots).where(eq(snapshots.id, snapshot.id));
    if (made?.state !== "complete" || made.servicePauseMs === null) throw new Error("the safe snapshot did not complete with a measured pause");
    pauses.push(made.servicePauseMs);
  }
  numbers.safePauseMaxMs = Math.max(...pauses);
  rows.push({ what: `Safe snapshot: MariaDB (${megabytes} MB) stopped, its files copied, answering again (2 snapshots)`, value: pauses.map(seconds).join(", "), goal: "≤ 2 s", verdict: verdict(Math.max(...pauses) <= 2000) });
} finally {
  await worker.stop().catch(() => undefined);
  for (const env of ["staging", "master", "feature1", "feature2", "feature3"]) await getRuntimeDriver().stopEnvironment("bench", env, "bench over").catch(() => undefined);
  for (const env of ["staging", "master", "feature1", "feature2", "feature3"]) await getRuntimeDriver().removeServices("bench", env, "bench over", { now: true }).catch(() => undefined);
  router.close();
  await database.close();
}

console.log("\n| What | Measured | Goal | |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.what} | ${r.value} | ${r.goal} | ${r.verdict} |`);
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(numbers, null, 2));
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(rows.some((r) => r.verdict === "NOT MET") ? 1 : 0);
