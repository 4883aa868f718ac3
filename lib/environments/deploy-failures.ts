import "server-only";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, environments, NOT_A_CRON_RUN } from "@/db/schema";
import type { Tx } from "@/lib/activities/queue";
import { snapshotActivityKinds } from "@/lib/snapshots/activity-kinds";
import { variableActivityKinds } from "@/lib/variables/activity-kinds";
import { environmentActivityKinds } from "./activity-kinds";

/** "Last deploy failed — serving <commit>": the failed deploy and what is still served (null: nothing). */
export interface LastDeployFailure {
  activityId: string;
  description: string;
  /** When it ended (ISO). */
  at: string;
  servingCommit: string | null;
}

/**
 * The kinds that end with a deploy, from the kinds of the domains that deploy. This domain sits
 * below the registry (lib/activity-kinds.ts) that composes them, so it cannot read its
 * DEPLOYING_TYPES; deploy-failures.test.ts checks that both lists are the same.
 */
export const DEPLOYING_KINDS: readonly string[] = Object.entries({ ...environmentActivityKinds, ...snapshotActivityKinds, ...variableActivityKinds }).flatMap(([type, kind]) => (kind.deploys ? [type] : []));

/**
 * For each of the given environments whose most recent finished deploy (any kind that deploys:
 * push, redeploy, activate, merge, sync, branch, restore, a variable saved…) failed: that deploy
 * and the commit still served. A later successful deploy ends it; a cancelled or unfinished one
 * does not. One query, one backward probe of the (environment_id, created_at) index per
 * environment, however long the project's history.
 */
export async function listLastDeployFailures(db: Db | Tx, projectId: string, environmentIds: readonly string[]): Promise<Map<string, LastDeployFailure>> {
  if (environmentIds.length === 0) return new Map();
  const last = lastFinishedDeploy(db);
  const rows = await db
    .select({ environmentId: environments.id, deployedCommit: environments.deployedCommit, last: { id: last.id, result: last.result, description: last.description, createdAt: last.createdAt, completedAt: last.completedAt } })
    .from(environments)
    .innerJoinLateral(last, sql`true`)
    .where(and(eq(environments.projectId, projectId), inArray(environments.id, [...environmentIds]), eq(last.result, "failure")));
  return new Map(rows.flatMap((r) => {
    const failure = deployFailureOf(r.deployedCommit, r.last);
    return failure ? [[r.environmentId, failure] as const] : [];
  }));
}

/**
 * The most recent finished deploy activity of the outer query's environment (`environments`), as
 * a lateral subquery: joined to a read of environments, it answers "did the last deploy fail"
 * in the same query (the project overview's, listLastDeployFailures').
 */
export function lastFinishedDeploy(db: Db | Tx) {
  return db
    .select({ id: activities.id, result: activities.result, description: activities.description, createdAt: activities.createdAt, completedAt: activities.completedAt })
    .from(activities)
    // NOT_A_CRON_RUN: the index without cron runs, so a month of a cron every minute is not walked past.
    .where(and(eq(activities.environmentId, environments.id), NOT_A_CRON_RUN, eq(activities.state, "complete"), inArray(activities.type, [...DEPLOYING_KINDS])))
    .orderBy(desc(activities.createdAt))
    .limit(1)
    .as("last_deploy_activity");
}

/** The failure an environment shows, from its last finished deploy (lastFinishedDeploy's row; null: none or not failed) and the commit it serves. */
export function deployFailureOf(
  servingCommit: string | null,
  last: { id: string; result: string | null; description: string; createdAt: Date; completedAt: Date | null } | null,
): LastDeployFailure | null {
  if (!last || last.result !== "failure") return null;
  return { activityId: last.id, description: last.description, at: (last.completedAt ?? last.createdAt).toISOString(), servingCommit };
}
