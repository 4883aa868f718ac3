import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, environments } from "@/db/schema";
import { hasRole, type SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { requireProjectAccess } from "@/lib/projects/access";
import { appendLogLine, lockClaims } from "./queue";
import { notifyActivity } from "./notify";
import { notifyWorkers } from "./wake";
import { cancelProblem } from "./cancel-rules";
import { settleEnvironment } from "./worker";

/**
 * Cancels a pending activity at once, or asks the worker to stop one that is building or
 * deploying (the running hook's whole sandbox is killed; the previous deployment stays).
 * Contributors and above on the environment's type may cancel.
 */
export async function cancelActivity(db: Db, user: SessionUser, projectId: string, activityId: string): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  await db.transaction(async (tx) => {
    await lockClaims(tx); // no worker claims it meanwhile
    const [row] = await tx
      .select({ activity: activities, envType: environments.type })
      .from(activities)
      .leftJoin(environments, eq(environments.id, activities.environmentId))
      .where(and(eq(activities.id, activityId), eq(activities.projectId, access.project.id)));
    if (!row) throw new DomainError("not_found", "This activity does not exist.");
    const problem = cancelProblem(row.activity);
    if (problem) throw new DomainError("conflict", problem);
    const role = access.environmentRoles[row.envType ?? "development"];
    if (!hasRole(role, "contributor")) throw new DomainError("forbidden", "Cancelling needs the contributor role on this environment's type.");
    if (row.activity.state === "in_progress") {
      await tx.update(activities).set({ cancelRequested: true }).where(eq(activities.id, activityId));
      await notifyActivity(tx, activityId, "state");
      return;
    }
    await tx.update(activities).set({ state: "cancelled", result: "failure", completedAt: new Date(), cancelRequested: true }).where(eq(activities.id, activityId));
    await appendLogLine(tx, activityId, `Cancelled by ${user.email} before it started.`);
    await notifyActivity(tx, activityId, "state");
    if (row.activity.type === "environment.branch" && row.activity.environmentId) {
      // The branch was never created: the reserved environment goes away with the request.
      await tx.delete(environments).where(eq(environments.id, row.activity.environmentId));
    } else {
      await settleEnvironment(tx, row.activity, "failure");
    }
  });
  notifyWorkers();
}
