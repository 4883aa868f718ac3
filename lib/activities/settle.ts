import "server-only";
import { and, eq, ne } from "drizzle-orm";
import { environments, type Activity, type Environment } from "@/db/schema";
import type { ActivityKindSpec } from "./activity-kind";
import type { Executor } from "@/db/client";

/**
 * Puts an environment back in the state its activity's outcome implies (by its kind's statuses),
 * in one statement (`db`: a transaction or the database). A kind that changes no status (a
 * cron, an operation) writes nothing.
 */
export async function settleEnvironment(kind: ActivityKindSpec | null, db: Executor, activity: Activity, outcome: "success" | "failure", statusAfter?: Environment["status"]) {
  if (!activity.environmentId) return;
  const rule = kind?.status;
  if (!rule) return;
  const status = statusAfter ?? rule[outcome];
  // Only a change is written: a cron or an operation leaves an active environment active, and a
  // write that changes nothing would still tell every open page of the project to render again.
  await db
    .update(environments)
    .set({ status, updatedAt: new Date() })
    .where(and(eq(environments.id, activity.environmentId), ne(environments.status, status)));
}
