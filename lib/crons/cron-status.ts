import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { env } from "@/lib/env";
import { activities, cronStates, environments, users, type Environment } from "@/db/schema";

/** A cron that failed this many times in a row shows on the environment, the tree and the project page until it succeeds. */
export const FAILURES_SHOWN = 3;

/** Where one cron stands, for the Crons panel. */
export interface CronStatus {
  lastActivityId: string | null;
  lastResult: "success" | "failure" | null;
  lastStartedAt: string | null;
  lastDurationMs: number | null;
  failuresInRow: number;
  missedAt: string | null;
  missedReason: string | null;
  /** Running or waiting now: its activity. */
  current: { activityId: string; state: "pending" | "in_progress" } | null;
}

/** Why a cron needs looking at, in a sentence; null when it does not. */
export function cronAlert(name: string, s: Pick<CronStatus, "failuresInRow" | "missedAt" | "missedReason">): string | null {
  if (s.failuresInRow >= FAILURES_SHOWN) return `The cron ${name} failed ${s.failuresInRow} times in a row.`;
  if (s.missedAt) return `The cron ${name} missed a run: ${s.missedReason ?? "it could not start at its time."}`;
  return null;
}

/** Each cron's status on one environment, by name. */
export async function cronStatuses(db: Db, environmentId: string): Promise<Record<string, CronStatus>> {
  const [states, current] = await Promise.all([
    db.select().from(cronStates).where(eq(cronStates.environmentId, environmentId)),
    db
      .select({ id: activities.id, state: activities.state, cron: sql<string>`${activities.parameters}->>'cron'` })
      .from(activities)
      .where(and(eq(activities.environmentId, environmentId), eq(activities.type, "environment.cron"), inArray(activities.state, ["pending", "in_progress"]))),
  ]);
  // No prototype: a cron named "constructor" is a cron like any other.
  const out: Record<string, CronStatus> = Object.create(null) as Record<string, CronStatus>;
  for (const s of states) {
    out[s.cron] = {
      lastActivityId: s.lastActivityId,
      lastResult: s.lastResult,
      lastStartedAt: s.lastStartedAt?.toISOString() ?? null,
      lastDurationMs: s.lastDurationMs,
      failuresInRow: s.failuresInRow,
      missedAt: s.missedAt?.toISOString() ?? null,
      missedReason: s.missedReason,
      current: null,
    };
  }
  for (const c of current) {
    const status = (out[c.cron] ??= { lastActivityId: null, lastResult: null, lastStartedAt: null, lastDurationMs: null, failuresInRow: 0, missedAt: null, missedReason: null, current: null });
    // A running one before a waiting one.
    if (!status.current || c.state === "in_progress") status.current = { activityId: c.id, state: c.state as "pending" | "in_progress" };
  }
  return out;
}

/**
 * The environments of a project whose crons need looking at (failed FAILURES_SHOWN times in a
 * row, or missed a run since they last succeeded), with the sentence: for the tree and the
 * project page. Only active environments count.
 */
export async function cronAlertsOfProject(db: Db, projectId: string): Promise<Map<string, string>> {
  const rows = await db
    .select({ environmentId: cronStates.environmentId, cron: cronStates.cron, failuresInRow: cronStates.failuresInRow, missedAt: cronStates.missedAt, missedReason: cronStates.missedReason })
    .from(cronStates)
    .innerJoin(environments, eq(environments.id, cronStates.environmentId))
    .where(
      and(
        eq(environments.projectId, projectId),
        inArray(environments.status, ["active", "dirty"]),
        sql`(${cronStates.failuresInRow} >= ${FAILURES_SHOWN} or ${cronStates.missedAt} is not null)`,
        // Only crons the environment's deployment still has (one removed since cannot be run to clear it).
        sql`jsonb_exists((select d.config from deployments d where d.environment_id = ${environments.id} order by d.created_at desc limit 1)->'app'->'crons', ${cronStates.cron})`,
      ),
    );
  const alerts = new Map<string, string>();
  for (const r of rows) {
    const alert = cronAlert(r.cron, { failuresInRow: r.failuresInRow, missedAt: r.missedAt?.toISOString() ?? null, missedReason: r.missedReason });
    if (alert && !alerts.has(r.environmentId)) alerts.set(r.environmentId, alert);
  }
  return alerts;
}

/** Who paused an environment's crons, for "Crons paused by … at …" (null: not paused). */
export async function cronsPause(db: Db, env: Pick<Environment, "cronsPausedAt" | "cronsPausedBy">): Promise<{ at: string; by: string | null } | null> {
  if (!env.cronsPausedAt) return null;
  const [by] = env.cronsPausedBy ? await db.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, env.cronsPausedBy)) : [];
  return { at: env.cronsPausedAt.toISOString(), by: by ? by.name || by.email : null };
}

/** Whether this server starts crons on their schedule (CRON_SCHEDULER, on unless set to 0). */
export function cronsScheduled(): boolean {
  return env().CRON_SCHEDULER;
}
