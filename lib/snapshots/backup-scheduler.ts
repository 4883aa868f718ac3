/**
 * Automated backups: each active, deployed environment whose type has a schedule (its project's
 * Settings, lib/snapshots/backup-schedule.ts) gets a safe snapshot at each due time, as an
 * `environment.backup` activity that occupies it (its crons and other activities wait). The
 * snapshot's row is written with its due time under a unique key (environment, due time) in the
 * same transaction that enqueues the activity: two workers never take one time twice, and a
 * restart loses nothing (a due time not taken yet is taken at once; older ones are not made up).
 * After each automated backup, the ones the schedule no longer keeps are deleted (runners.ts).
 */
import "server-only";
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments, projects } from "@/db/schema";
import { lockProject } from "@/lib/activities/queue";
import { notifyWorkers } from "@/lib/activities/wake";
import { latestDeployment } from "@/lib/environments/queries";
import { backupFrequencyMs, describeSchedule, dueTime, longestKeepMs } from "./backup-schedule";
import { schedulesOf } from "./backup-settings";
import { recordBackup } from "./snapshots";

/** How often the scheduler looks (a due time's backup starts within this and the worker's pickup). */
export const BACKUP_POLL_MS = 2_000;

export class BackupScheduler {
  /** environment id → the last due time taken or found taken. */
  private readonly handled = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** One pass: the backups due now that are not taken yet are recorded and enqueued. Returns how many. */
  async tick(): Promise<number> {
    const rows = await this.db
      .select({ env: environments, schedules: projects.backupSchedules })
      .from(environments)
      .innerJoin(projects, eq(projects.id, environments.projectId))
      .where(and(inArray(environments.status, ["active", "dirty"]), isNotNull(environments.deployedCommit)));
    const now = this.now();
    let taken = 0;
    for (const { env, schedules } of rows) {
      const entries = schedulesOf(schedules)[env.type];
      const frequency = backupFrequencyMs(entries);
      if (frequency === null) continue;
      const due = dueTime(frequency, now);
      if (this.handled.get(env.id) === due) continue;
      if (await this.take(env.id, env.projectId, due, longestKeepMs(entries), describeSchedule(entries))) taken++;
      this.handled.set(env.id, due);
    }
    if (taken > 0) notifyWorkers();
    return taken;
  }

  /** Records and enqueues the backup of `environmentId` due at `due`, unless it was taken already (or the environment is no longer active). */
  private async take(environmentId: string, projectId: string, due: number, keepMs: number, schedule: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await lockProject(tx, projectId);
      const [env] = await tx.select().from(environments).where(eq(environments.id, environmentId));
      if (!env || (env.status !== "active" && env.status !== "dirty") || !env.deployedCommit) return false;
      const recorded = await recordBackup(tx, env, {
        consistency: "consistent",
        description: `Automated backup of ${env.name} (${schedule})`,
        deployedCommit: env.deployedCommit,
        buildKey: (await latestDeployment(tx, env.id))?.buildKey ?? null,
        createdBy: null,
        expiresAt: new Date(due + keepMs),
        replaces: null,
        scheduledFor: new Date(due),
      });
      if (!recorded) return false;
      return true;
    });
  }
}

/** Runs the backup scheduler beside a worker's dispatcher until stopped; `now`: a clock of the benchmark's. */
export function startBackupScheduler(db: Db, options: { now?: () => number; pollMs?: number } = {}): { stop(): Promise<void> } {
  const scheduler = new BackupScheduler(db, options.now);
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopped) {
      try {
        await scheduler.tick();
      } catch (err) {
        if (!stopped) console.error("[backups] the scheduler's pass failed:", err);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.pollMs ?? BACKUP_POLL_MS);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
