import "server-only";
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, users, type Environment } from "@/db/schema";

/** Who paused an environment and when: "Paused by Ann on 2025-01-02 10:00 UTC" (by null: the project's auto-pause). */
export interface PauseRecord {
  at: string;
  by: string | null;
  /** The pause activity's description ("Pause staging: not deployed for 14 days"). */
  description: string | null;
  activityId: string | null;
}

/** The pause in force on `env` (null when it is not paused): its time, and the pause activity that made it (who asked). */
export async function getPauseRecord(db: Db, env: Pick<Environment, "id" | "pausedAt">): Promise<PauseRecord | null> {
  if (!env.pausedAt) return null;
  const [row] = await db
    .select({ id: activities.id, description: activities.description, name: users.name, email: users.email })
    .from(activities)
    .leftJoin(users, eq(users.id, activities.createdBy))
    .where(and(eq(activities.environmentId, env.id), eq(activities.type, "environment.pause"), eq(activities.state, "complete"), eq(activities.result, "success")))
    .orderBy(desc(activities.createdAt))
    .limit(1);
  return { at: env.pausedAt.toISOString(), by: row ? row.name || row.email || null : null, description: row?.description ?? null, activityId: row?.id ?? null };
}
