import "server-only";
import crypto from "node:crypto";
import { and, asc, eq, getTableColumns, inArray, isNotNull, lt, sql } from "drizzle-orm";
import { selectRows, type Db, type Executor } from "@/db/client";
import { activities, activityEnvironments, type Activity } from "@/db/schema";
import type { z } from "zod";
import type { ActivityKindSpecs } from "./activity-kind";
import { appendLogLine, lastLogSeqSql } from "./log-store";
import { notifyActivities, notifyActivity, notifyActivitySql } from "./notify";

/** A transaction or the database: queue writes join the caller's transaction. */
export type Tx = Executor;

export const MAX_RUNNING_PER_PROJECT = 2;
/** A running activity whose worker has not sent a heartbeat for this long is declared dead. */
export const STALE_AFTER_MS = 45_000;

export interface NewActivity<T extends string = string, P = unknown> {
  projectId: string;
  environmentId: string;
  environmentName: string;
  /** Every environment the activity occupies, including `environmentId`. */
  occupies: string[];
  type: T;
  description: string;
  /** Checked against the kind's parameter schema before anything is written. */
  parameters: P;
  createdBy: string | null;
  isProduction?: boolean;
}

/** An activity of one of `kinds`, with that kind's parameters. */
export type NewActivityOf<K extends ActivityKindSpecs, T extends keyof K & string> = NewActivity<T, z.input<K[T]["parameters"]>>;

/** The kind's parameters, checked: an unknown kind or parameters that do not fit are a programming error, thrown before anything is written. */
function checkedParameters(kinds: ActivityKindSpecs, type: string, parameters: unknown): Record<string, unknown> {
  const kind = kinds[type];
  if (!kind) throw new Error(`No activity kind ${type} is declared.`);
  const parsed = kind.parameters.safeParse(parameters);
  if (!parsed.success) throw new Error(`Invalid parameters for ${type}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  return parsed.data as Record<string, unknown>;
}

/** Serializes every change to one project's environments (rules are checked under it). */
export async function lockProject(tx: Tx, projectId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${projectLockKey(projectId)}))`);
}

/** lockProject for several projects in one statement, in a fixed order (no two callers wait on each other in a circle). */
export async function lockProjects(tx: Tx, projectIds: string[]): Promise<void> {
  const keys = [...new Set(projectIds)].map(projectLockKey).sort();
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(k)) from jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb) with ordinality as l(k, i) order by i`);
}

const projectLockKey = (projectId: string) => `project:${projectId}`;

/** Serializes claims across all workers (and cancels, which must not race a claim). */
export async function lockClaims(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(727003)`);
}

/** The row of a new activity, its parameters checked against its kind. */
function activityRow(kinds: ActivityKindSpecs, input: Omit<NewActivity, "occupies" | "isProduction">) {
  const { projectId, environmentId, environmentName, type, description, createdBy } = input;
  return { projectId, environmentId, environmentName, type, description, createdBy, parameters: checkedParameters(kinds, type, input.parameters) };
}

/** Records a pending activity; a worker picks it up when its environments and project allow. */
export async function enqueueActivity<K extends ActivityKindSpecs, T extends keyof K & string>(kinds: K, tx: Tx, input: NewActivityOf<K, T>): Promise<Activity> {
  const [activity] = await enqueueActivities(kinds, tx, [input]);
  return activity!;
}

/**
 * Queues several activities in the caller's transaction with three statements whatever their
 * number (the cron scheduler's due crons): their rows, the environments they occupy, and one
 * notice each. Every kind and its parameters are checked before anything is written. Returns
 * them in the order given.
 */
export async function enqueueActivities<K extends ActivityKindSpecs, T extends keyof K & string>(kinds: K, tx: Tx, inputs: NewActivityOf<K, T>[]): Promise<Activity[]> {
  if (inputs.length === 0) return [];
  const rows = inputs.map((input) => {
    if (kinds[input.type]?.runs === false) throw new Error(`${input.type} does not run: record it done (recordDoneActivity, or recordProjectActivity for the project's).`);
    return { id: crypto.randomUUID(), ...activityRow(kinds, input), priority: input.isProduction ? 1 : 0 };
  });
  const inserted = await tx.insert(activities).values(rows).returning();
  const byId = new Map(inserted.map((a) => [a.id, a]));
  const occupied = rows.flatMap((row, i) => [...new Set(inputs[i]!.occupies)].map((environmentId) => ({ activityId: row.id, environmentId })));
  if (occupied.length > 0) await tx.insert(activityEnvironments).values(occupied);
  await notifyActivities(tx, rows.map((r) => r.id), "state");
  return rows.map((r) => byId.get(r.id)!);
}

/**
 * Records an activity that needed no work (a push to an inactive environment) as done, the
 * same way: its kind and parameters checked, its line in the log, open pages told.
 */
export async function recordDoneActivity<K extends ActivityKindSpecs, T extends keyof K & string>(kinds: K, tx: Tx, input: Omit<NewActivityOf<K, T>, "occupies" | "isProduction">, logLine?: string): Promise<Activity> {
  const now = new Date();
  const [activity] = await tx
    .insert(activities)
    .values({ ...activityRow(kinds, input), state: "complete", result: "success", startedAt: now, completedAt: now })
    .returning();
  if (logLine) await appendLogLine(tx, activity!.id, logLine);
  await notifyActivity(tx, activity!.id, "state");
  return activity!;
}

/**
 * Records a project-level activity (a kind with level "project": about no environment, nothing
 * to run) as done, with a line in its log; every member's open pages are told.
 */
export async function recordProjectActivity<K extends ActivityKindSpecs, T extends keyof K & string>(
  kinds: K,
  tx: Tx,
  input: Pick<NewActivityOf<K, T>, "projectId" | "type" | "description" | "parameters" | "createdBy">,
  logLine: string,
): Promise<Activity> {
  if (kinds[input.type]?.level !== "project") throw new Error(`${input.type} is about an environment: enqueue it.`);
  const now = new Date();
  const { projectId, type, description, createdBy } = input;
  const [activity] = await tx
    .insert(activities)
    .values({ projectId, environmentId: null, environmentName: null, type, description, createdBy, parameters: checkedParameters(kinds, type, input.parameters), state: "complete", result: "success", startedAt: now, completedAt: now })
    .returning();
  await appendLogLine(tx, activity!.id, logLine);
  await notifyActivity(tx, activity!.id, "state");
  return activity!;
}

export interface DispatchedActivity {
  activityId: string;
  /** Its kind (which queue its job goes to). */
  type: string;
  jobId: string;
  priority: number;
}

/**
 * Decides which pending activities may start now and gives each a job id (the caller
 * sends them to pg-boss): oldest first, production first; none of its environments has a
 * running, dispatched or earlier pending activity (first in, first out per environment);
 * fewer than two are running or dispatched in its project. One dispatcher at a time
 * across all workers (an advisory lock), so the limits hold with many workers.
 *
 * A lock, a read and a write whatever the number waiting (a hundred crons due in one second are one
 * read and one write, not a hundred of each): what waits and what occupies their environments
 * and projects is read once, then taken greedily in order. A pick only ever blocks later ones
 * (its environments become busy, its project's count grows), so one pass in order picks what
 * picking the first eligible one again and again would.
 */
export async function dispatchActivities(db: Db, now = new Date()): Promise<DispatchedActivity[]> {
  // Most passes find nothing waiting (every activity that ends wakes the dispatcher): one probe
  // of the state index then, not a transaction, a lock and a read. One that arrives after the
  // probe wakes the dispatcher again itself (notifyWorkers), or is seen at the next idle pass.
  const [waits] = await selectRows<{ waiting: boolean }>(db, sql`select exists (select 1 from activities where state = 'pending' and job_id is null) as waiting`);
  if (!waits?.waiting) return [];
  return db.transaction(async (tx) => {
    await lockClaims(tx);
    // Every pending activity (dispatched or not) and every running one of the projects where
    // something waits, with the environments each occupies and its place in order of arrival.
    const rows = await selectRows<{ id: string; type: string; priority: number; project_id: string; state: string; job_id: string | null; arrival: number; environment_id: string | null }>(
      tx,
      sql`
        select a.id, a.type, a.priority, a.project_id, a.state, a.job_id, a.arrival, ae.environment_id
        from (select *, row_number() over (order by created_at, id)::int as arrival from activities
              where state in ('pending', 'in_progress')
                and project_id in (select project_id from activities where state = 'pending' and job_id is null)) a
        left join activity_environments ae on ae.activity_id = a.id
        order by a.priority desc, a.created_at, a.id`,
    );
    const byId = new Map<string, { id: string; type: string; priority: number; projectId: string; waiting: boolean; arrival: number; environments: string[] }>();
    const busyEnvironments = new Set<string>();
    const occupiedPerProject = new Map<string, number>();
    for (const r of rows) {
      let a = byId.get(r.id);
      if (!a) {
        const waiting = r.state === "pending" && r.job_id === null;
        a = { id: r.id, type: r.type, priority: r.priority, projectId: r.project_id, waiting, arrival: r.arrival, environments: [] };
        byId.set(r.id, a);
        if (!waiting) occupiedPerProject.set(r.project_id, (occupiedPerProject.get(r.project_id) ?? 0) + 1);
      }
      if (r.environment_id) {
        a.environments.push(r.environment_id);
        if (!a.waiting) busyEnvironments.add(r.environment_id);
      }
    }
    const waiting = [...byId.values()].filter((a) => a.waiting);
    // First in, first out per environment: one waiting behind an earlier waiting one on any of its environments waits.
    const behind = new Set<string>();
    const reached = new Set<string>();
    for (const a of [...waiting].sort((x, y) => x.arrival - y.arrival)) {
      if (a.environments.some((e) => reached.has(e))) behind.add(a.id);
      for (const e of a.environments) reached.add(e);
    }
    const picked: DispatchedActivity[] = [];
    for (const a of waiting) {
      if (behind.has(a.id) || a.environments.some((e) => busyEnvironments.has(e))) continue;
      const occupied = occupiedPerProject.get(a.projectId) ?? 0;
      if (occupied >= MAX_RUNNING_PER_PROJECT) continue;
      occupiedPerProject.set(a.projectId, occupied + 1);
      for (const e of a.environments) busyEnvironments.add(e);
      picked.push({ activityId: a.id, type: a.type, jobId: crypto.randomUUID(), priority: a.priority });
    }
    if (picked.length > 0) {
      const jobs = JSON.stringify(picked.map((p) => [p.activityId, p.jobId]));
      await tx.execute(sql`
        update activities set job_id = d.value->>1, dispatched_at = ${now.toISOString()}::timestamptz
        from jsonb_array_elements(${jobs}::jsonb) d
        where activities.id = d.value->>0`);
    }
    return picked;
  });
}

/**
 * Starts a dispatched activity for the worker holding its job; null when the job is stale
 * (cancelled, or re-dispatched). One statement (every cron run is claimed): the row, the last
 * line number of its log (where the worker's lines go on), and its announcement.
 */
export async function claimDispatchedActivity(db: Db, activityId: string, jobId: string, workerId: string): Promise<(Activity & { lastLogSeq: number }) | null> {
  const [claimed] = await db
    .update(activities)
    .set({ state: "in_progress", startedAt: new Date(), workerId, heartbeatAt: new Date() })
    .where(and(eq(activities.id, activityId), eq(activities.state, "pending"), eq(activities.jobId, jobId)))
    .returning({
      ...getTableColumns(activities),
      // The updated row named by its table: Drizzle writes RETURNING's own columns unqualified.
      lastLogSeq: sql<number>`${lastLogSeqSql(sql.raw('"activities"."id"'))}`.mapWith(Number),
      announced: notifyActivitySql(sql.raw('"activities"."id"'), "state"),
    });
  if (!claimed) return null;
  const { announced: _announced, ...activity } = claimed;
  return activity;
}

/** Pending activities dispatched before `before`: the caller checks that their jobs still exist. */
export async function listDispatchedSince(db: Db, before: Date): Promise<{ id: string; jobId: string }[]> {
  const rows = await db
    .select({ id: activities.id, jobId: activities.jobId })
    .from(activities)
    .where(and(eq(activities.state, "pending"), isNotNull(activities.jobId), lt(activities.dispatchedAt, before)));
  return rows.map((r) => ({ id: r.id, jobId: r.jobId! }));
}

/** Forgets a dispatch whose job was lost (its worker died before starting it), so it is dispatched again. */
export async function undispatchActivity(db: Db, activityId: string, jobId: string): Promise<void> {
  await db
    .update(activities)
    .set({ jobId: null, dispatchedAt: null })
    .where(and(eq(activities.id, activityId), eq(activities.state, "pending"), eq(activities.jobId, jobId)));
}

export async function heartbeat(db: Db, activityId: string, workerId: string): Promise<void> {
  await db.update(activities).set({ heartbeatAt: new Date() }).where(and(eq(activities.id, activityId), eq(activities.workerId, workerId)));
}

export async function finishActivity(db: Db, activityId: string, outcome: { state: "complete" | "cancelled"; result: "success" | "failure" }): Promise<void> {
  // The end and its announcement in one statement (an activity ends for every cron run).
  await db.execute(sql`
    with ended as (
      update activities set state = ${outcome.state}, result = ${outcome.result}, completed_at = ${new Date().toISOString()}::timestamptz, heartbeat_at = null
      where id = ${activityId} returning id)
    select ${notifyActivitySql(sql`id`, "state")} from ended`);
}

/**
 * Activities whose worker died (no heartbeat for STALE_AFTER_MS) are failed with a log
 * line that says so, and their environments are put back as they were before. Returns
 * how many it recovered.
 */
export async function recoverStaleActivities(db: Db, now = new Date(), restore: (tx: Tx, activity: Activity) => Promise<void>): Promise<number> {
  const stale = await db
    .select()
    .from(activities)
    .where(and(eq(activities.state, "in_progress"), lt(activities.heartbeatAt, new Date(now.getTime() - STALE_AFTER_MS))))
    .orderBy(asc(activities.startedAt));
  for (const activity of stale) {
    await db.transaction(async (tx) => {
      const [still] = await tx
        .update(activities)
        .set({ state: "complete", result: "failure", completedAt: now, heartbeatAt: null })
        .where(and(eq(activities.id, activity.id), eq(activities.state, "in_progress")))
        .returning();
      if (!still) return;
      await appendLogLine(tx, activity.id, `The worker running this activity (${activity.workerId}) stopped responding; the activity was marked failed.`);
      await restore(tx, activity);
      await notifyActivity(tx, activity.id, "state");
    });
  }
  return stale.length;
}

/** The first pending or running activity occupying each environment of a project. */
export async function busyEnvironments(db: Executor, projectId: string): Promise<Map<string, { state: "pending" | "in_progress"; description: string }>> {
  const rows = await db
    .select({ environmentId: activityEnvironments.environmentId, state: activities.state, description: activities.description })
    .from(activityEnvironments)
    .innerJoin(activities, eq(activities.id, activityEnvironments.activityId))
    .where(and(eq(activities.projectId, projectId), inArray(activities.state, ["pending", "in_progress"])))
    .orderBy(sql`case when ${activities.state} = 'in_progress' then 0 else 1 end`, asc(activities.createdAt));
  const busy = new Map<string, { state: "pending" | "in_progress"; description: string }>();
  for (const r of rows) if (!busy.has(r.environmentId)) busy.set(r.environmentId, { state: r.state as "pending" | "in_progress", description: r.description });
  return busy;
}

export { appendLogLine, getActivityLog } from "./log-store";
