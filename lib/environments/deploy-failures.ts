import "server-only";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, environments } from "@/db/schema";
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
  const last = db
    .select({ id: activities.id, result: activities.result, description: activities.description, createdAt: activities.createdAt, completedAt: activities.completedAt })
    .from(activities)
    .where(and(eq(activities.environmentId, environments.id), eq(activities.state, "complete"), inArray(activities.type, [...DEPLOYING_KINDS])))
    .orderBy(desc(activities.createdAt))
    .limit(1)
    .as("last_deploy_activity");
  const rows = await db
    .select({ environmentId: environments.id, deployedCommit: environments.deployedCommit, id: last.id, description: last.description, createdAt: last.createdAt, completedAt: last.completedAt })
    .from(environments)
    .innerJoinLateral(last, sql`true`)
    .where(and(eq(environments.projectId, projectId), inArray(environments.id, [...environmentIds]), eq(last.result, "failure")));
  return new Map(
    rows.map((r) => [r.environmentId, { activityId: r.id, description: r.description, at: (r.completedAt ?? r.createdAt).toISOString(), servingCommit: r.deployedCommit }] as const),
  );
}
