// Benchmark (backups issue: schedules), in this process: the database, a worker with the backup
// scheduler (as the server runs it) and real releases of the PHP template.
//   scheduled  a backup's due time → its activity started (the activity's startedAt), for
//              BENCH_ROUNDS due times (5) of a `1h 2` schedule on staging. The scheduler's clock
//              is moved so that each due time comes a few seconds after the round starts; what
//              follows it runs at real speed (goal ≤ 5 s)
// Run: npm run bench:backups   (BENCH_ROUNDS=n)
import { and, eq } from "drizzle-orm";
import { benchTempDir } from "./temp-dir";

const dataDir = benchTempDir("pwi-bench-backups-");
process.env.DATA_DIR = dataDir;
process.env.PROJECT_TEMPLATE_SERVICES = "none";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const H = 3_600_000;

const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();
const { openDatabase } = await import("@/db/client");
const { startActivityWorker } = await import("@/lib/activity-runners");
const { activities, snapshots } = await import("@/db/schema");
const { createProject } = await import("@/lib/projects/create-project");
const { makeUser } = await import("@/lib/testing-fixtures");
const { setBackupSchedules } = await import("@/lib/snapshots/backup-settings");
const { startBackupScheduler } = await import("@/lib/snapshots/backup-scheduler");
const { dueTime } = await import("@/lib/snapshots/backup-schedule");

const database = await openDatabase({ dataDir });
await database.migrate();
const db = database.db;
const worker = startActivityWorker(db);
// The scheduler's clock: real time plus an offset that this script moves before each round.
let offset = 0;
const scheduler = startBackupScheduler(db, { now: () => Date.now() + offset });
const latencies: number[] = [];
try {
  const admin = await makeUser(db, { isAdmin: true });
  const projectId = "bench-backups";
  await createProject(db, admin, { id: projectId, title: "Backups", plan: "starter", region: "us-3" });
  await worker.idle();
  await setBackupSchedules(db, admin, projectId, { production: [], staging: [{ interval: "1h", count: 2 }], development: [], manualCount: null });
  for (let round = 1; round <= ROUNDS; round++) {
    // The next due time, 3 s of real time from now.
    const virtualNow = Date.now() + offset;
    const due = dueTime(H, virtualNow) + H;
    offset = due - (Date.now() + 3_000);
    const dueReal = due - offset;
    let started: Date | null = null;
    while (!started && Date.now() - dueReal < 60_000) {
      const [row] = await db
        .select({ startedAt: activities.startedAt })
        .from(snapshots)
        .innerJoin(activities, eq(activities.id, snapshots.activityId))
        .where(and(eq(snapshots.projectId, projectId), eq(snapshots.scheduledFor, new Date(due))));
      started = row?.startedAt ?? null;
      if (!started) await new Promise((r) => setTimeout(r, 20));
    }
    if (!started) throw new Error(`round ${round}: the backup due at ${new Date(due).toISOString()} did not start within a minute`);
    latencies.push(started.getTime() - dueReal);
    await worker.idle();
    console.log(`round ${round}: due → started ${latencies.at(-1)} ms`);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`\nbench:backups (${ROUNDS} due times of a 1h schedule on staging; the scheduler looks every 2 s)`);
  console.log(`| Scheduled time → backup activity started | median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms | ≤ 5 s | ${sorted.at(-1)! <= 5_000 ? "met" : "NOT MET"} |`);
} finally {
  await scheduler.stop();
  await worker.stop();
  await database.close();
}
process.exit(0);
