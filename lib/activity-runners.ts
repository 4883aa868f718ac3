import "server-only";
/**
 * The server side of the activity registry: every kind with its runner, composed from the
 * domains, and the engine's entry points bound to it. Callers start workers, settle and
 * cancel through here; the engine (lib/activities) itself knows no domain.
 */
import { CRON_RUNS_KEPT_DAYS, pruneCronRuns, startCronScheduler } from "@/lib/crons/scheduler";
import { startBackupScheduler } from "@/lib/snapshots/backup-scheduler";
import type { Db } from "@/db/client";
import type { Activity, Environment } from "@/db/schema";
import type { ActivityRegistry, ActivityRunners } from "@/lib/activities/activity-runner";
import { cancelActivityOfKind } from "@/lib/activities/cancel-activity";
import type { Tx } from "@/lib/activities/queue";
import { settleEnvironment } from "@/lib/activities/settle";
import { abandonPartialWork, startWorker, type Worker, type WorkerOptions } from "@/lib/activities/worker";
export type { Worker } from "@/lib/activities/worker";
import { hasRole, type SessionUser } from "@/lib/auth/permissions";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { environmentActivityRunners } from "@/lib/environments/activity-runners";
import { pauseIdleEnvironments, projectRelayPasswords } from "@/lib/environments/settings";
import { snapshotActivityRunners } from "@/lib/snapshots/activity-runners";
import { pruneExpiredSnapshots } from "@/lib/snapshots/snapshots";
import { sweepOrphanImports } from "@/lib/snapshots/import-backup";
import { variableActivityRunners } from "@/lib/variables/activity-runners";
import { projectSensitiveValues } from "@/lib/variables/variables";
import { ACTIVITY_KINDS, activityKind } from "./activity-kinds";

const ACTIVITY_RUNNERS: ActivityRunners<typeof ACTIVITY_KINDS> = { ...environmentActivityRunners, ...snapshotActivityRunners, ...variableActivityRunners };

/** What every activity of a project keeps out of its log: its sensitive variables and its mail relay passwords. */
async function projectSecrets(db: Db, projectId: string): Promise<string[]> {
  const [variables, relays] = await Promise.all([projectSensitiveValues(db, projectId), projectRelayPasswords(db, projectId)]);
  return [...variables, ...relays];
}

export const ACTIVITY_REGISTRY: ActivityRegistry = { kinds: ACTIVITY_KINDS, runners: ACTIVITY_RUNNERS, secrets: projectSecrets };

/**
 * A worker for every kind, with the domains' scheduled upkeep (expired snapshots pruned, idle
 * environments paused); with `crons`, also the scheduler that starts crons on time (the server's
 * and `npm run worker`'s, unless CRON_SCHEDULER=0; several schedulers never start one time twice).
 */
export function startActivityWorker(db: Db, { crons = false, backups = false, ...options }: Omit<WorkerOptions, "registry" | "upkeep" | "schedule"> & { crons?: boolean; backups?: boolean } = {}): Worker {
  const upkeep = async () => {
    const n = await pruneExpiredSnapshots(db);
    if (n > 0) console.log(`[worker] deleted ${n} expired snapshot(s)`);
    const orphans = await sweepOrphanImports(db);
    if (orphans > 0) console.log(`[worker] removed ${orphans} import folder(s) a stopped server left behind`);
    const pruned = await pruneCronRuns(db);
    if (pruned > 0) console.log(`[worker] deleted ${pruned} cron schedule record(s) older than ${CRON_RUNS_KEPT_DAYS} days`);
    const paused = await pauseIdleEnvironments(db);
    if (paused > 0) console.log(`[worker] paused ${paused} environment(s) not deployed for their project's idle period`);
  };
  // The schedulers that run beside the dispatcher: crons', and automated backups'.
  const schedulers = [...(crons ? [startCronScheduler] : []), ...(backups ? [startBackupScheduler] : [])];
  const schedule = schedulers.length
    ? (d: Db) => {
        const running = schedulers.map((start) => start(d));
        return { stop: async () => void (await Promise.all(running.map((r) => r.stop()))) };
      }
    : undefined;
  return startWorker(db, { ...options, registry: ACTIVITY_REGISTRY, upkeep, schedule });
}

/** After a dead worker: what the activity's kind left half-made is removed. */
export function abandonActivity(tx: Tx, activity: Activity): Promise<void> {
  return abandonPartialWork(ACTIVITY_REGISTRY, tx, activity);
}

/** Puts an activity's environment in the status its kind gives for this outcome. */
export function settleActivityEnvironment(tx: Tx, activity: Activity, outcome: "success" | "failure", statusAfter?: Environment["status"]): Promise<void> {
  return settleEnvironment(activityKind(activity.type), tx, activity, outcome, statusAfter);
}

/** Cancels a pending activity, or stops a running hook (see cancel-activity.ts). */
export async function cancelActivity(db: Db, user: SessionUser, projectId: string, activityId: string): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  return cancelActivityOfKind(ACTIVITY_KINDS, db, {
    projectId: access.project.id,
    activityId,
    by: user.email,
    refusal: (type) => (hasRole(access.environmentRoles[type ?? "development"], "contributor") ? null : "Cancelling needs the contributor role on this environment's type."),
  });
}
