import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { environmentTypeEnum, type EnvironmentType } from "@/db/schema";

/** The Postgres channel on which workers announce new log lines and state changes. */
export const ACTIVITY_CHANNEL = "activity_events";

/** The Postgres channel on which a project's changes outside its activities are announced (lib/activities/project-events.ts). */
export const PROJECT_CHANNEL = "project_changes";

export type ActivityEventKind = "lines" | "state";

/**
 * What changed in a project besides its activities (which announce themselves), so its open
 * pages show it: its title or settings, its members, its invitations, an environment's title,
 * parent or settings, its variables, its snapshots (one deleted), or the project is gone; or an
 * environment's processes changed state (started, restarting, crash loop, stopped: "runtime").
 */
export const PROJECT_CHANGES = ["project", "members", "invitations", "environment", "variables", "snapshots", "deleted", "runtime"] as const;
export type ProjectChange = (typeof PROJECT_CHANGES)[number];

type Executor = Pick<Db, "execute">;

/**
 * The SQL expression that announces a change of the activity whose id `activityId` gives (a
 * column of the statement it is part of, or a value): `<id>:<kind>` on ACTIVITY_CHANNEL, the
 * payload parseActivityEvent reads. For statements that change an activity and announce it at once.
 */
export function notifyActivitySql(activityId: SQL, kind: ActivityEventKind): SQL {
  return sql`pg_notify(${ACTIVITY_CHANNEL}, ${activityId} || ${`:${kind}`})`;
}

/** NOTIFY every listening process (PGlite: this process) that an activity changed. Joins the caller's transaction. */
export async function notifyActivity(db: Executor, activityId: string, kind: ActivityEventKind): Promise<void> {
  await db.execute(sql`select ${notifyActivitySql(sql`${activityId}::text`, kind)}`);
}

/** notifyActivity for several activities, in one statement. */
export async function notifyActivities(db: Executor, activityIds: string[], kind: ActivityEventKind): Promise<void> {
  if (activityIds.length === 1) return notifyActivity(db, activityIds[0]!, kind);
  if (activityIds.length === 0) return;
  await db.execute(sql`select ${notifyActivitySql(sql`n.id`, kind)} from jsonb_array_elements_text(${JSON.stringify(activityIds)}::jsonb) as n(id)`);
}

export function parseActivityEvent(payload: string): { activityId: string; kind: ActivityEventKind } | null {
  const [activityId, kind] = payload.split(":");
  if (!activityId || (kind !== "lines" && kind !== "state")) return null;
  return { activityId, kind };
}

/**
 * NOTIFY the project's open pages that `change` happened; `environmentType` when it concerns one
 * environment (only those who may see that type hear it). Joins the caller's transaction, so it
 * is heard once the change is committed (and not at all if it is rolled back).
 */
export async function notifyProjectChange(db: Executor, projectId: string, change: ProjectChange, environmentType: EnvironmentType | null = null): Promise<void> {
  await db.execute(sql`select pg_notify(${PROJECT_CHANNEL}, ${JSON.stringify({ projectId, change, environmentType })})`);
}

const projectChangeSchema = z.object({ projectId: z.string().min(1), change: z.enum(PROJECT_CHANGES), environmentType: z.enum(environmentTypeEnum.enumValues).nullable() });
export type ProjectChangeNotice = z.infer<typeof projectChangeSchema>;

/** A PROJECT_CHANNEL payload, or null when it is not one. */
export function parseProjectChange(payload: string): ProjectChangeNotice | null {
  try {
    const parsed = projectChangeSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
