import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

/** The Postgres channel on which workers announce new log lines and state changes. */
export const ACTIVITY_CHANNEL = "activity_events";

export type ActivityEventKind = "lines" | "state";

type Executor = Pick<Db, "execute">;

/** NOTIFY every listening process (PGlite: this process) that an activity changed. Joins the caller's transaction. */
export async function notifyActivity(db: Executor, activityId: string, kind: ActivityEventKind): Promise<void> {
  await db.execute(sql`select pg_notify(${ACTIVITY_CHANNEL}, ${`${activityId}:${kind}`})`);
}

export function parseActivityEvent(payload: string): { activityId: string; kind: ActivityEventKind } | null {
  const [activityId, kind] = payload.split(":");
  if (!activityId || (kind !== "lines" && kind !== "state")) return null;
  return { activityId, kind };
}
