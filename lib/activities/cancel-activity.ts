import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, environments } from "@/db/schema";
import type { EnvironmentType } from "@/db/schema";
import { DomainError } from "@/lib/errors";
import { appendLogLine, lockClaims } from "./queue";
import { notifyActivity } from "./notify";
import { notifyWorkers } from "./wake";
import { cancelProblem } from "./cancel-rules";
import type { ActivityKindSpecs } from "./activity-kind";
import { settleEnvironment } from "./settle";

/**
 * Cancels a pending activity at once, or asks the worker to stop one that is building or
 * deploying (the running hook's whole sandbox is killed; the previous deployment stays).
 * Contributors and above on the environment's type may cancel.
 */
export async function cancelActivityOfKind(
  kinds: ActivityKindSpecs,
  db: Db,
  request: {
    projectId: string;
    activityId: string;
    /** Who cancels, for the log. */
    by: string;
    /** Why this user may not cancel an activity of this environment type, or null: the caller's permission rule. */
    refusal: (environmentType: EnvironmentType | null) => string | null;
  },
): Promise<void> {
  const { projectId, activityId } = request;
  await db.transaction(async (tx) => {
    await lockClaims(tx); // no worker claims it meanwhile
    const [row] = await tx
      .select({ activity: activities, envType: environments.type })
      .from(activities)
      .leftJoin(environments, eq(environments.id, activities.environmentId))
      .where(and(eq(activities.id, activityId), eq(activities.projectId, projectId)));
    if (!row) throw new DomainError("not_found", "This activity does not exist.");
    const problem = cancelProblem(row.activity);
    if (problem) throw new DomainError("conflict", problem);
    const refused = request.refusal(row.envType);
    if (refused) throw new DomainError("forbidden", refused);
    if (row.activity.state === "in_progress") {
      await tx.update(activities).set({ cancelRequested: true }).where(eq(activities.id, activityId));
      await notifyActivity(tx, activityId, "state");
      return;
    }
    await tx.update(activities).set({ state: "cancelled", result: "failure", completedAt: new Date(), cancelRequested: true }).where(eq(activities.id, activityId));
    await appendLogLine(tx, activityId, `Cancelled by ${request.by} before it started.`);
    await notifyActivity(tx, activityId, "state");
    const kind = kinds[row.activity.type] ?? null;
    if (kind?.reservesEnvironment && row.activity.environmentId) {
      // Its environment was reserved by the request and never made: it goes away with it.
      await tx.delete(environments).where(eq(environments.id, row.activity.environmentId));
    } else {
      await settleEnvironment(kind, tx, row.activity, "failure");
    }
  });
  notifyWorkers();
}
