import "server-only";
import { and, asc, desc, eq, exists, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import type { Db } from "@/db/client";
import { activities, activityEnvironments, deployments, environments, NOT_A_CRON_RUN, users, type Activity, type EnvironmentType } from "@/db/schema";
import { canSeeEnvironmentType, type ProjectAccess } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { toActivityView, type ActivityView } from "@/lib/activities/activity-view";

export const PAGE_SIZE = 20;

type StreamPart = "running" | "pending" | "recent";

/** What the stream shows of an activity (ActivityView's columns): not its parameters or the commits it brought in. */
const streamColumns = {
  id: activities.id,
  type: activities.type,
  state: activities.state,
  result: activities.result,
  description: activities.description,
  environmentName: activities.environmentName,
  createdAt: activities.createdAt,
  startedAt: activities.startedAt,
  completedAt: activities.completedAt,
  phase: activities.phase,
  cancelRequested: activities.cancelRequested,
  progress: activities.progress,
};

/** What the stream is filtered by (validated where the request comes in: lib/activity-stream-filter.ts). */
export interface StreamFilter {
  environment?: string;
  type?: string;
  state?: "in_progress" | "pending" | "complete" | "cancelled";
  result?: "success" | "failure";
  /** "1": ended cron runs are listed too (folded by default, as the platform's CLI leaves `*.cron` out; running and waiting ones always show). */
  crons?: "1";
  cursor?: string;
}

/** An activity as the stream shows it: as everywhere (ActivityView), plus who started it and its durations. */
export interface StreamActivity extends ActivityView {
  createdBy: string | null;
  /** Milliseconds between queued and started; of the build (0 when reused) and of the deploy hooks. */
  waitMs: number | null;
  buildMs: number | null;
  buildReused: boolean | null;
  deployMs: number | null;
}

/** A just-queued activity as the stream shows it, to show it before the stream is fetched again. */
export function queuedStreamActivity(activity: Activity, createdBy: string | null): StreamActivity {
  return { ...toActivityView(activity), createdBy, waitMs: null, buildMs: null, buildReused: null, deployMs: null };
}

export interface ActivityStreamPage {
  running: StreamActivity[];
  pending: StreamActivity[];
  recent: StreamActivity[];
  nextCursor: string | null;
}

function encodeCursor(a: { createdAt: Date; id: string }): string {
  return Buffer.from(`${a.createdAt.toISOString()}|${a.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new DomainError("invalid", "cursor is not one this server gave out: start again without it.");
  }
  return { createdAt, id };
}

/**
 * A project's (or one environment's) activities as the stream shows them: running first,
 * then pending in the order they will run, then recent ones newest first, 20 at a time
 * with a keyset cursor (fast at any depth). Only environment types the user may see.
 */
export async function listActivityStream(db: Db, access: ProjectAccess, filter: StreamFilter & { environmentId?: string }): Promise<ActivityStreamPage> {
  const visibleTypes = (["production", "staging", "development"] as EnvironmentType[]).filter((t) => canSeeEnvironmentType(access, t));
  const conditions: SQL[] = [eq(activities.projectId, access.project.id)];
  // An activity whose environment was deleted counts as an Integration one (as its pages do).
  // A project-level activity (no environment name) is seen by every member.
  const typeCondition = visibleTypes.includes("development")
    ? or(isNull(environments.type), inArray(environments.type, visibleTypes))
    : or(isNull(activities.environmentName), inArray(environments.type, visibleTypes.length ? visibleTypes : ["production"]));
  if (visibleTypes.length === 0) return { running: [], pending: [], recent: [], nextCursor: null };
  conditions.push(typeCondition!);
  if (filter.environmentId) {
    conditions.push(
      or(
        eq(activities.environmentId, filter.environmentId),
        exists(db.select({ one: sql`1` }).from(activityEnvironments).where(and(eq(activityEnvironments.activityId, activities.id), eq(activityEnvironments.environmentId, filter.environmentId)))),
      )!,
    );
  }
  if (filter.type) conditions.push(eq(activities.type, filter.type));
  if (filter.result) conditions.push(eq(activities.result, filter.result));
  // Ended cron runs are folded unless asked for (a cron every minute would bury everything else).
  const foldCrons = !filter.crons && filter.type !== "environment.cron";

  // The stream's three parts (running, pending, recent) in one query: each part ordered and
  // limited on its own, numbered in that order (`ord`), so the rows are put back in it here.
  const part = (name: StreamPart, where: SQL[], order: SQL[], limit: number) =>
    db
      .select({
        part: sql<StreamPart>`${sql.raw(`'${name}'`)}`.as("part"),
        ord: sql<number>`row_number() over (order by ${sql.join(order, sql`, `)})`.mapWith(Number).as("ord"),
        activity: streamColumns,
        buildMs: deployments.buildMs,
        deployMs: deployments.deployMs,
        buildReused: deployments.buildReused,
        userName: users.name,
        userEmail: users.email,
      })
      .from(activities)
      .leftJoin(environments, eq(environments.id, activities.environmentId))
      .leftJoin(deployments, eq(deployments.activityId, activities.id))
      .leftJoin(users, eq(users.id, activities.createdBy))
      .where(and(...conditions, ...where))
      .orderBy(...order)
      .limit(limit);

  const wants = (state: Activity["state"]) => !filter.state || filter.state === state;
  const parts: ReturnType<typeof part>[] = [];
  if (!filter.cursor && wants("in_progress")) parts.push(part("running", [eq(activities.state, "in_progress")], [asc(activities.startedAt)], 50));
  if (!filter.cursor && wants("pending")) parts.push(part("pending", [eq(activities.state, "pending")], [desc(activities.priority), asc(activities.createdAt), asc(activities.id)], 50));
  const ended = filter.state === "complete" || filter.state === "cancelled" ? [filter.state] : !filter.state ? ["complete", "cancelled"] : [];
  if (ended.length > 0) {
    const recentConditions = [inArray(activities.state, ended as Activity["state"][])];
    if (foldCrons) recentConditions.push(NOT_A_CRON_RUN);
    if (filter.cursor) {
      const c = decodeCursor(filter.cursor);
      recentConditions.push(sql`(${activities.createdAt}, ${activities.id}) < (${c.createdAt.toISOString()}::timestamptz, ${c.id})`);
    }
    parts.push(part("recent", recentConditions, [desc(activities.createdAt), desc(activities.id)], PAGE_SIZE + 1));
  }
  const [first, second, ...rest] = parts;
  const rows = !first ? [] : !second ? await first : await unionAll(first, second, ...rest);
  const of = (name: StreamPart) => rows.filter((r) => r.part === name).sort((a, b) => a.ord - b.ord);
  const [running, pending] = [of("running"), of("pending")];
  let recent = of("recent");
  const hasMore = recent.length > PAGE_SIZE;
  if (hasMore) recent = recent.slice(0, PAGE_SIZE);
  const view = (r: (typeof rows)[number]): StreamActivity => ({
    ...toActivityView(r.activity),
    createdBy: r.userName || r.userEmail || null,
    waitMs: r.activity.startedAt ? r.activity.startedAt.getTime() - r.activity.createdAt.getTime() : null,
    buildMs: r.buildMs,
    buildReused: r.buildReused,
    deployMs: r.deployMs,
  });
  return {
    running: running.map(view),
    pending: pending.map(view),
    recent: recent.map(view),
    nextCursor: hasMore ? encodeCursor(recent.at(-1)!.activity) : null,
  };
}
