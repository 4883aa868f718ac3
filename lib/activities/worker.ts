import "server-only";
import crypto from "node:crypto";
import os from "node:os";
import { eq, max } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, activityLogLines, environments, type Activity, type Environment } from "@/db/schema";
import { STATUS_AFTER } from "@/lib/environments/request-action";
import { ActivityLog } from "./activity-log";
import { HANDLERS, type HandlerOutcome } from "./handlers";
import { claimNextActivity, finishActivity, heartbeat, recoverStaleActivities, type Tx } from "./queue";
import { activityEvents, notifyWorkers } from "./wake";

export const HEARTBEAT_MS = 10_000;
const IDLE_POLL_MS = 1_000;
const RECOVERY_EVERY_MS = 15_000;

export interface Worker {
  id: string;
  stop(): Promise<void>;
  /** Resolves when no activity is running or claimable (for tests). */
  idle(): Promise<void>;
}

/** Puts an environment back in the state its activity's outcome implies. */
export async function settleEnvironment(tx: Tx, activity: Activity, outcome: "success" | "failure", statusAfter?: Environment["status"]) {
  if (!activity.environmentId) return;
  const rule = STATUS_AFTER[activity.type];
  if (!rule) return;
  const status = statusAfter ?? rule[outcome];
  await tx.update(environments).set({ status, updatedAt: new Date() }).where(eq(environments.id, activity.environmentId));
}

/**
 * Runs activities: claims what may run (see claimNextActivity), runs up to
 * `concurrency` at once, sends heartbeats, and every 15 s fails activities whose worker
 * died. Several workers, in one process or many, may share one database.
 */
export function startWorker(db: Db, options: { concurrency?: number; id?: string } = {}): Worker {
  const id = options.id ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString("hex")}`;
  const concurrency = options.concurrency ?? 2;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  const onWake = () => wakeUp?.();
  activityEvents.on("wake", onWake);
  let lastRecovery = 0;
  const idleWaiters: (() => void)[] = [];

  async function runActivity(activity: Activity) {
    const [{ last } = { last: 0 }] = await db.select({ last: max(activityLogLines.seq) }).from(activityLogLines).where(eq(activityLogLines.activityId, activity.id));
    const log = new ActivityLog(db, activity.id, last ?? 0);
    const abort = new AbortController();
    const beat = setInterval(() => void heartbeat(db, activity.id, id).catch(() => undefined), HEARTBEAT_MS);
    // A cancel reaches a running build within a second.
    const cancelPoll = setInterval(() => {
      void db
        .select({ cancelRequested: activities.cancelRequested })
        .from(activities)
        .where(eq(activities.id, activity.id))
        .then(([row]) => {
          if (row?.cancelRequested && !abort.signal.aborted) {
            log.line("Cancel requested: stopping the build.");
            abort.abort();
          }
        })
        .catch(() => undefined);
    }, 1000);
    const onPhase = async (phase: "build" | "deploy") => {
      await db.update(activities).set({ phase }).where(eq(activities.id, activity.id));
    };
    let outcome: HandlerOutcome;
    try {
      const [environment] = activity.environmentId ? await db.select().from(environments).where(eq(environments.id, activity.environmentId)) : [];
      const handler = HANDLERS[activity.type];
      if (!environment) outcome = { ok: false, message: "The environment no longer exists." };
      else if (!handler) outcome = { ok: false, message: `Unknown activity type ${activity.type}.` };
      else {
        if (environment.status === "active" && activity.type !== "environment.deactivate") {
          await db.update(environments).set({ status: "dirty" }).where(eq(environments.id, environment.id));
        }
        outcome = await handler({ db, activity, environment, log, signal: abort.signal, onPhase });
      }
    } catch (err) {
      console.error(`[worker] activity ${activity.id} failed:`, err);
      outcome = { ok: false, message: `Unexpected error: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearInterval(beat);
      clearInterval(cancelPoll);
    }
    log.setSection(null);
    log.line(outcome.ok ? "Activity completed successfully." : outcome.message, outcome.ok ? "system" : "stderr");
    await log.flush();
    const result = outcome.ok ? "success" : "failure";
    await db.transaction(async (tx) => {
      await settleEnvironment(tx, activity, result, outcome.ok ? outcome.statusAfter : undefined);
    });
    await finishActivity(db, activity.id, { state: !outcome.ok && outcome.cancelled ? "cancelled" : "complete", result });
    notifyWorkers();
  }

  async function recover() {
    lastRecovery = Date.now();
    const n = await recoverStaleActivities(db, new Date(), async (tx, activity) => settleEnvironment(tx, activity, "failure"));
    if (n > 0) notifyWorkers();
  }

  const loop = (async () => {
    await recover().catch((err) => console.error("[worker] recovery failed:", err));
    while (!stopped) {
      if (Date.now() - lastRecovery > RECOVERY_EVERY_MS) await recover().catch((err) => console.error("[worker] recovery failed:", err));
      let claimed: Activity | null = null;
      if (running.size < concurrency) {
        try {
          claimed = await claimNextActivity(db, id);
        } catch (err) {
          if (!stopped) console.error("[worker] claim failed:", err);
        }
      }
      if (claimed) {
        const p: Promise<void> = runActivity(claimed)
          .catch((err) => console.error("[worker] run failed:", err))
          .finally(() => running.delete(p));
        running.add(p);
        continue;
      }
      if (running.size === 0) idleWaiters.splice(0).forEach((r) => r());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, IDLE_POLL_MS);
        wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
        for (const p of running) void p.then(() => wakeUp?.());
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
      await Promise.all(running);
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notifyWorkers();
      }),
  };
}

