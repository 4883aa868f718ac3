import "server-only";
import PgBoss from "pg-boss";
import { sqlExecutor, type Db } from "@/db/client";
import type { DispatchedActivity } from "./queue";

/** The pg-boss queue whose jobs run activities: one job per dispatched activity. */
export const ACTIVITY_QUEUE = "activity-run";
/**
 * The queue of activities that start or stop environments' processes (every deploy, Pause,
 * Resume, Deactivate, Delete): only workers of a process that hosts environments take its jobs
 * (the server's own worker, where the environment router runs). `npm run worker` processes on
 * other machines take only ACTIVITY_QUEUE's, so they never start an environment's processes.
 */
export const RUNTIME_QUEUE = "activity-run-runtime";
/**
 * pg-boss fails a job whose handler runs longer than this (its maximum is 24 hours). Our
 * own heartbeat decides whether an activity is alive; this only bounds how long a job
 * fetched by a worker that died before starting the activity stays "active".
 */
const JOB_EXPIRE_SECONDS = 6 * 60 * 60;

export interface ActivityJob {
  activityId: string;
}

/**
 * A pg-boss instance on the app's own database connection: the PGlite instance in
 * embedded mode, the node-postgres pool when DATABASE_URL is set. Its tables live in the
 * `pgboss` schema, created and migrated by pg-boss on start.
 */
export async function startJobQueue(db: Db): Promise<PgBoss> {
  const executor = sqlExecutor(db);
  const boss = new PgBoss({
    db: { executeSql: (text, values) => executor.executeSql(text, values) },
    schema: "pgboss",
    schedule: true,
  });
  boss.on("error", (err) => console.error("[queue]", err.message));
  await boss.start();
  for (const name of [ACTIVITY_QUEUE, RUNTIME_QUEUE]) await boss.createQueue(name, { name, policy: "standard", retryLimit: 0, expireInSeconds: JOB_EXPIRE_SECONDS });
  return boss;
}

/** Scheduled housekeeping (pg-boss cron, once across all workers): expired snapshots are deleted. */
export const PRUNE_QUEUE = "snapshots-prune";

export async function schedulePruning(boss: PgBoss, upkeep: () => Promise<void>): Promise<string> {
  await boss.createQueue(PRUNE_QUEUE, { name: PRUNE_QUEUE, policy: "singleton", retryLimit: 1 });
  await boss.schedule(PRUNE_QUEUE, "*/10 * * * *", {}, { singletonKey: PRUNE_QUEUE });
  return boss.work(PRUNE_QUEUE, { pollingIntervalSeconds: 30 }, async () => {
    await upkeep();
  });
}

/** Sends each dispatched activity's job to its queue (`queueOf` its kind). */
export async function sendActivityJobs(boss: PgBoss, dispatched: DispatchedActivity[], queueOf: (type: string) => string = () => ACTIVITY_QUEUE): Promise<void> {
  if (dispatched.length === 0) return;
  await boss.insert(
    dispatched.map((d) => ({
      id: d.jobId,
      name: queueOf(d.type),
      data: { activityId: d.activityId } satisfies ActivityJob,
      priority: d.priority,
      retryLimit: 0,
      expireInSeconds: JOB_EXPIRE_SECONDS,
    })),
  );
}

/** Whether pg-boss still holds the job for delivery or running (not completed, failed, cancelled or gone). */
export async function isJobLive(boss: PgBoss, jobId: string): Promise<boolean> {
  const job = (await boss.getJobById(ACTIVITY_QUEUE, jobId)) ?? (await boss.getJobById(RUNTIME_QUEUE, jobId));
  return !!job && (job.state === "created" || job.state === "retry" || job.state === "active");
}
