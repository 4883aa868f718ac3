import "server-only";
import crypto from "node:crypto";
import os from "node:os";
import { eq, sql } from "drizzle-orm";
import type PgBoss from "pg-boss";
import { isEmbeddedDatabase, selectRows, type Db } from "@/db/client";
import { parseJsonColumn, StoredValueError } from "@/db/json-columns";
import { activities, environments, type Activity } from "@/db/schema";
import { removeDeployLeftovers } from "@/lib/runtime/deploy";
import { env } from "@/lib/env";
import { ActivityLog } from "./activity-log";
import type { ActivityRegistry, HandlerOutcome } from "./activity-runner";
import { ACTIVITY_QUEUE, isJobLive, RUNTIME_QUEUE, schedulePruning, sendActivityJobs, startJobQueue, type ActivityJob } from "./job-queue";
import {
  claimDispatchedActivity,
  dispatchActivities,
  finishActivity,
  heartbeat,
  listDispatchedSince,
  recoverStaleActivities,
  undispatchActivity,
  type Tx,
} from "./queue";
import { notifyActivity } from "./notify";
import { activityEvents, notifyWorkers } from "./wake";
import { settleEnvironment } from "./settle";

export const HEARTBEAT_MS = 10_000;
/** How often an idle dispatcher looks for work another process queued (in-process work wakes it at once). */
const IDLE_POLL_MS = 1_000;
/** While something was just dispatched, or a test waits for idleness, look again sooner. */
const IDLE_CHECK_MS = 100;
/**
 * How often a pg-boss worker asks for jobs another process dispatched (in-process ones are
 * notified at once, and a worker that ran a job asks again at once). On the embedded database
 * no other process exists: its poll is only a safety net, and each poll is a statement the
 * database's one session runs (four workers polling every second were a fifth of its idle work).
 */
const JOB_POLL_SECONDS = { shared: 1, embedded: 10 };
const RECOVERY_EVERY_MS = 15_000;
/** A dispatched activity not started after this long is checked: was its job lost with a dead worker? */
const LOST_JOB_AFTER_MS = 60_000;

export interface Worker {
  id: string;
  stop(): Promise<void>;
  /** Resolves when no activity is running or claimable (for tests). */
  idle(): Promise<void>;
}

export interface WorkerOptions {
  /** Every kind the worker runs, and how. */
  registry: ActivityRegistry;
  /**
   * Which activities it takes: "all" (the server's worker, default), "general" (not those that
   * start or stop environments' processes: `npm run worker` on another machine), or "runtime"
   * (only those: the dashboard with RUN_WORKER=0). See RUNTIME_QUEUE.
   */
  queues?: "all" | "general" | "runtime";
  /** Starts the scheduler of crons beside the dispatcher (stopped with the worker). */
  schedule?: (db: Db) => { stop(): Promise<void> };
  /** Scheduled upkeep the domains need (pruning expired snapshots), run by one worker at a time. */
  upkeep?: () => Promise<void>;
  concurrency?: number;
  id?: string;
}

/** Cleans up after an activity whose worker died, as its kind's runner says (given the activity's parameters, checked). */
export async function abandonPartialWork(registry: ActivityRegistry, tx: Tx, activity: Activity): Promise<void> {
  const runner = registry.runners[activity.type];
  if (runner?.abandon) await runner.abandon(tx, activity, storedParameters(registry, activity));
  // Any kind may have been deploying: its half-made build and deploy folder go too.
  if (activity.environmentName) await removeDeployLeftovers(activity.projectId, activity.environmentName, activity.id);
}

/** The activity's parameters checked against its kind's schema; null (and a line in the server's log naming the activity) when they do not match. */
function storedParameters(registry: ActivityRegistry, activity: Activity): unknown {
  const kind = registry.kinds[activity.type];
  if (!kind) return null;
  try {
    return parseJsonColumn(kind.parameters, activity.parameters, { record: "Activity", id: activity.id, what: "a parameter object" });
  } catch (err) {
    if (!(err instanceof StoredValueError)) throw err;
    console.error(`[worker] ${err.message}; its runner cleans up without its parameters.`);
    return null;
  }
}

/**
 * Runs activities through pg-boss. A dispatcher (every second, and at once when woken in
 * this process) decides what may start (see dispatchActivities) and sends one pg-boss job
 * per activity; `concurrency` pg-boss workers fetch those jobs, from this process or any
 * other sharing the database, and run them with heartbeats. Every 15 s it also fails
 * activities whose worker died and re-dispatches jobs that were lost with their worker.
 */
export function startWorker(db: Db, options: WorkerOptions): Worker {
  const { registry } = options;
  const id = options.id ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString("hex")}`;
  const concurrency = options.concurrency ?? 2;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  const onWake = () => {
    woken = true;
    wakeUp?.();
  };
  activityEvents.on("wake", onWake);
  let lastRecovery = 0;
  const idleWaiters: (() => void)[] = [];
  const bossReady = startJobQueue(db);
  /** The pg-boss workers of each queue: a dispatch wakes only those of the queues it sent jobs to. */
  const workersOf = new Map<string, string[]>();
  let pruneWorkId: string | null = null;
  let scheduler: { stop(): Promise<void> } | null = null;

  async function runActivity({ lastLogSeq, ...activity }: Activity & { lastLogSeq: number }) {
    const log = new ActivityLog(db, activity.id, lastLogSeq, env().LOG_REDACT_VALUES);
    log.redactAlso((await registry.secrets?.(db, activity.projectId).catch(() => [])) ?? []);
    const abort = new AbortController();
    const beat = setInterval(() => void heartbeat(db, activity.id, id).catch(() => undefined), HEARTBEAT_MS);
    // A cancel reaches a running hook within a second.
    const cancelPoll = setInterval(() => {
      void db
        .select({ cancelRequested: activities.cancelRequested })
        .from(activities)
        .where(eq(activities.id, activity.id))
        .then(([row]) => {
          if (row?.cancelRequested && !abort.signal.aborted) {
            log.line("Cancel requested: stopping the running hook and everything it started.");
            abort.abort();
          }
        })
        .catch(() => undefined);
    }, 1000);
    let progressAt = 0;
    let progressTimer: NodeJS.Timeout | null = null;
    let progressValue = -1;
    const storeProgress = () => {
      progressAt = Date.now();
      progressTimer = null;
      void db
        .update(activities)
        .set({ progress: progressValue })
        .where(eq(activities.id, activity.id))
        .then(() => notifyActivity(db, activity.id, "state"))
        .catch(() => undefined);
    };
    // At most one write a second; the last value always lands.
    const setProgress = (percent: number) => {
      if (percent === progressValue) return;
      progressValue = percent;
      if (progressTimer) return;
      const wait = 1000 - (Date.now() - progressAt);
      if (wait <= 0 || percent === 100) storeProgress();
      else progressTimer = setTimeout(storeProgress, wait);
    };
    const onPhase = async (phase: "build" | "deploy") => {
      await db.update(activities).set({ phase }).where(eq(activities.id, activity.id));
      await notifyActivity(db, activity.id, "state");
    };
    let outcome: HandlerOutcome;
    try {
      const [environment] = activity.environmentId ? await db.select().from(environments).where(eq(environments.id, activity.environmentId)) : [];
      const kind = registry.kinds[activity.type];
      const runner = registry.runners[activity.type];
      const parameters = kind?.parameters.safeParse(activity.parameters);
      if (!environment) outcome = { ok: false, message: "The environment no longer exists." };
      else if (!kind || !runner) outcome = { ok: false, message: `This server does not know activities of type ${activity.type}.` };
      else if (!parameters?.success) outcome = { ok: false, message: `The activity's parameters are invalid (${parameters?.error.issues[0]?.message ?? "unreadable"}); nothing was done.` };
      else {
        if (environment.status === "active" && kind.status?.dirtyWhileRunning) {
          await db.update(environments).set({ status: "dirty" }).where(eq(environments.id, environment.id));
        }
        outcome = await runner.run({ db, activity, environment, log, signal: abort.signal, onPhase, setProgress }, parameters.data);
      }
    } catch (err) {
      console.error(`[worker] activity ${activity.id} failed:`, err);
      outcome = { ok: false, message: `Unexpected error: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearInterval(beat);
      clearInterval(cancelPoll);
      if (progressTimer) {
        clearTimeout(progressTimer);
        storeProgress();
      }
    }
    log.setSection(null);
    log.line(outcome.ok ? "Activity completed successfully." : outcome.message, outcome.ok ? "system" : "stderr");
    if (!outcome.ok && registry.kinds[activity.type]?.deploys && activity.environmentId) {
      // The last line of a failed deploy says what the environment still serves.
      const [after] = await db.select({ deployedCommit: environments.deployedCommit }).from(environments).where(eq(environments.id, activity.environmentId));
      log.line(after?.deployedCommit ? `Still served: ${after.deployedCommit.slice(0, 7)}, the last deployment that succeeded. A deploy that succeeds replaces it.` : "Nothing is served: this environment has no deployment that succeeded.");
    }
    await log.flush();
    const result = outcome.ok ? "success" : "failure";
    await settleEnvironment(registry.kinds[activity.type] ?? null, db, activity, result, outcome.ok ? outcome.statusAfter : undefined);
    await finishActivity(db, activity.id, { state: !outcome.ok && outcome.cancelled ? "cancelled" : "complete", result });
    notifyWorkers();
  }

  /** A pg-boss job: start its activity unless the job is stale, and run it to the end. */
  async function runJob(jobs: PgBoss.Job<ActivityJob>[], self: () => string | undefined) {
    try {
      await runJobs(jobs);
    } finally {
      // More jobs may wait in its queue (a hundred crons due at once): pg-boss's worker would
      // otherwise wait out its polling interval before asking again.
      const me = self();
      if (!stopped && me) void bossReady.then((boss) => boss.notifyWorker(me)).catch(() => undefined);
    }
  }

  async function runJobs(jobs: PgBoss.Job<ActivityJob>[]) {
    for (const job of jobs) {
      if (stopped) {
        await undispatchActivity(db, job.data.activityId, job.id); // another worker takes it at once
        continue;
      }
      const activity = await claimDispatchedActivity(db, job.data.activityId, job.id, id);
      if (!activity) continue; // cancelled while waiting, or re-dispatched under another job
      const p = runActivity(activity).catch((err) => console.error("[worker] run failed:", err));
      running.add(p);
      try {
        await p;
      } finally {
        running.delete(p);
      }
    }
  }

  async function recover(boss: PgBoss) {
    lastRecovery = Date.now();
    const n = await recoverStaleActivities(db, new Date(), async (tx, activity) => {
      await settleEnvironment(registry.kinds[activity.type] ?? null, tx, activity, "failure");
      await abandonPartialWork(registry, tx, activity);
    });
    let lost = 0;
    for (const d of await listDispatchedSince(db, new Date(Date.now() - LOST_JOB_AFTER_MS))) {
      if (await isJobLive(boss, d.jobId)) continue;
      await undispatchActivity(db, d.id, d.jobId);
      lost++;
    }
    if (n + lost > 0) notifyWorkers();
  }

  async function isIdle(): Promise<boolean> {
    if (running.size > 0) return false;
    const [busy] = await selectRows<{ n: number }>(db, sql`select count(*)::int as n from activities where state in ('in_progress', 'pending')`);
    return (busy?.n ?? 0) === 0;
  }

  const loop = (async () => {
    let boss: PgBoss;
    try {
      boss = await bossReady;
      const queues = { all: [ACTIVITY_QUEUE, RUNTIME_QUEUE], general: [ACTIVITY_QUEUE], runtime: [RUNTIME_QUEUE] }[options.queues ?? "all"];
      const pollingIntervalSeconds = isEmbeddedDatabase(db) ? JOB_POLL_SECONDS.embedded : JOB_POLL_SECONDS.shared;
      for (const queue of queues) {
        const ids: string[] = [];
        for (let i = 0; i < concurrency; i++) {
          const me: { id?: string } = {};
          me.id = await boss.work<ActivityJob>(queue, { batchSize: 1, pollingIntervalSeconds }, (jobs) => runJob(jobs, () => me.id));
          ids.push(me.id);
        }
        workersOf.set(queue, ids);
      }
      if (options.upkeep) pruneWorkId = await schedulePruning(boss, options.upkeep);
    } catch (err) {
      console.error("[worker] could not start the job queue:", err);
      return;
    }
    await recover(boss).catch((err) => console.error("[worker] recovery failed:", err));
    if (options.schedule && !stopped) scheduler = options.schedule(db);
    while (!stopped) {
      woken = false;
      if (Date.now() - lastRecovery > RECOVERY_EVERY_MS) await recover(boss).catch((err) => console.error("[worker] recovery failed:", err));
      let dispatched = 0;
      try {
        const jobs = await dispatchActivities(db);
        const queueOf = (type: string) => {
          const kind = registry.kinds[type];
          return kind && (kind.deploys || kind.runtime) ? RUNTIME_QUEUE : ACTIVITY_QUEUE;
        };
        await sendActivityJobs(boss, jobs, queueOf);
        dispatched = jobs.length;
        for (const queue of new Set(jobs.map((j) => queueOf(j.type)))) for (const w of workersOf.get(queue) ?? []) boss.notifyWorker(w);
      } catch (err) {
        if (!stopped) console.error("[worker] dispatch failed:", err);
      }
      if (idleWaiters.length > 0 && dispatched === 0 && (await isIdle().catch(() => false))) idleWaiters.splice(0).forEach((r) => r());
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, dispatched > 0 || idleWaiters.length > 0 ? IDLE_CHECK_MS : IDLE_POLL_MS);
        wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wakeUp = null;
    }
  })();

  return {
    id,
    async stop() {
      stopped = true;
      wakeUp?.();
      activityEvents.off("wake", onWake);
      await loop;
      await scheduler?.stop();
      const boss = await bossReady.catch(() => null);
      if (boss) for (const w of [...[...workersOf.values()].flat(), ...(pruneWorkId ? [pruneWorkId] : [])]) await boss.offWork({ id: w });
      await Promise.all(running);
      await boss?.stop({ close: false, graceful: true, wait: true, timeout: 5_000 });
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notifyWorkers();
      }),
  };
}
