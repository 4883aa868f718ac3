import "server-only";
import { eq } from "drizzle-orm";
import { environments, type Activity, type Environment } from "@/db/schema";
import type { ActivityKindSpec } from "./activity-kind";
import type { Tx } from "./queue";

/** Puts an environment back in the state its activity's outcome implies (by its kind's statuses). */
export async function settleEnvironment(kind: ActivityKindSpec | null, tx: Tx, activity: Activity, outcome: "success" | "failure", statusAfter?: Environment["status"]) {
  if (!activity.environmentId) return;
  const rule = kind?.status;
  if (!rule) return;
  const status = statusAfter ?? rule[outcome];
  await tx.update(environments).set({ status, updatedAt: new Date() }).where(eq(environments.id, activity.environmentId));
}
