/**
 * An environment's deployments, newest first, and Roll back to one of them: the environment is
 * switched to that deployment's kept build (no build runs), with its commit and the variables of
 * now; data is not rolled back. Who may: whoever may Redeploy (the same rule, with its reasons).
 * The deployment serving now, one of another environment, and one whose build is no longer kept
 * are refused with a sentence.
 */
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, deployments, users, type Activity, type Environment } from "@/db/schema";
import { busyEnvironments, enqueueActivity, lockProject } from "@/lib/activities/queue";
import { notifyWorkers } from "@/lib/activities/wake";
import type { ProjectAccess, SessionUser } from "@/lib/auth/permissions";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { DomainError } from "@/lib/errors";
import { BUILD_KEY, buildsDir } from "@/lib/runtime/deploy";
import { environmentActivityKinds } from "./activity-kinds";
import { snapshotActivityKinds } from "@/lib/snapshots/activity-kinds";
import { getEnvironmentByName, listRuleEnvironmentsFor } from "./queries";
import { allowedActions } from "./rules";

/** How many of an environment's deployments the list shows. */
export const DEPLOYMENTS_SHOWN = 10;

export interface DeploymentView {
  id: string;
  commit: string;
  at: string;
  /** What made it ("Push", "Merge", "Roll back"…), and who asked. */
  by: { what: string; who: string | null } | null;
  buildReused: boolean;
  buildMs: number;
  deployMs: number;
  /** A Roll back: the commit it went back to is its own; this is the deployment it reused. */
  rollbackOf: string | null;
  current: boolean;
  /** Whether Roll back to it can switch without building, and why not. */
  rollBack: { allowed: true } | { allowed: false; reason: string };
}

/** What made a deployment, by its activity kind's label: this domain's, or a snapshot's restore (the only other kind that deploys). */
function kindLabel(type: string): string {
  const kinds: Record<string, { label: string } | undefined> = { ...environmentActivityKinds, ...snapshotActivityKinds };
  return kinds[type]?.label ?? type;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether the build a deployment was copied from is still kept (a file test; the key is checked first). */
function buildKept(projectId: string, buildKey: string | null): boolean {
  return buildKey !== null && BUILD_KEY.test(buildKey) && fs.existsSync(path.join(buildsDir(projectId), buildKey, ".build-complete"));
}

/** Why Roll back to `d` is not possible, or null. */
function rollbackProblem(projectId: string, d: { buildKey: string | null; commit: string }, current: boolean): string | null {
  if (current) return "This is the deployment serving now.";
  if (!d.buildKey) return "This deployment is from before builds were kept for Roll back.";
  if (!buildKept(projectId, d.buildKey)) return `The build of ${d.commit.slice(0, 7)} is no longer kept: redeploy its commit from a branch to build it again.`;
  return null;
}

/** The environment's last deployments, newest first, with what Roll back would do for `access`'s member. */
export async function listDeployments(db: Db, access: ProjectAccess, env: Environment, limit = DEPLOYMENTS_SHOWN): Promise<DeploymentView[]> {
  const rows = await db
    .select({ d: deployments, type: activities.type, name: users.name, email: users.email })
    .from(deployments)
    .leftJoin(activities, eq(activities.id, deployments.activityId))
    .leftJoin(users, eq(users.id, activities.createdBy))
    .where(eq(deployments.environmentId, env.id))
    .orderBy(desc(deployments.createdAt))
    .limit(limit);
  const all = await listRuleEnvironmentsFor(db, access.project.id, env);
  const busy = await busyEnvironments(db, access.project.id);
  const permission = allowedActions(env, { plan: access.project.plan, environments: all, busy, roles: access.environmentRoles }).redeploy;
  return rows.map(({ d, type, name, email }, i) => {
    const problem = !permission.allowed ? permission.reason : rollbackProblem(access.project.id, d, i === 0);
    return {
      id: d.id,
      commit: d.commit,
      at: d.createdAt.toISOString(),
      by: type ? { what: kindLabel(type), who: name || email || null } : null,
      buildReused: d.buildReused,
      buildMs: d.buildMs,
      deployMs: d.deployMs,
      rollbackOf: d.rollbackOf,
      current: i === 0,
      rollBack: problem ? { allowed: false, reason: problem } : { allowed: true },
    };
  });
}

/** Records a Roll back of `environmentName` to its deployment `deploymentId`, checked as Redeploy is, under the project's lock. */
export async function requestRollback(db: Db, user: SessionUser, projectId: string, environmentName: string, deploymentId: string): Promise<Activity> {
  const access = await requireProjectAccess(db, user, projectId);
  const activity = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const env = await getEnvironmentByName(tx, projectId, environmentName);
    if (!env) throw new DomainError("not_found", `There is no environment “${String(environmentName).slice(0, 40)}” in this project.`);
    const all = await listRuleEnvironmentsFor(tx, projectId, env);
    const busy = await busyEnvironments(tx, projectId);
    const permission = allowedActions(env, { plan: access.project.plan, environments: all, busy, roles: access.environmentRoles }).redeploy;
    if (!permission.allowed) throw new DomainError("forbidden", permission.reason.replace(/Redeploy/g, "Roll back"));
    const [target] = UUID.test(deploymentId) ? await tx.select().from(deployments).where(and(eq(deployments.id, deploymentId), eq(deployments.environmentId, env.id))) : [];
    if (!target) throw new DomainError("not_found", `${env.title} has no such deployment.`);
    const [current] = await tx.select({ id: deployments.id }).from(deployments).where(eq(deployments.environmentId, env.id)).orderBy(desc(deployments.createdAt)).limit(1);
    const problem = rollbackProblem(projectId, target, current?.id === target.id);
    if (problem) throw new DomainError("conflict", problem);
    return enqueueActivity(environmentActivityKinds, tx, {
      projectId,
      createdBy: user.id,
      environmentId: env.id,
      environmentName: env.name,
      occupies: [env.id],
      type: "environment.rollback",
      description: `Roll back ${env.name} to ${target.commit.slice(0, 7)}`,
      parameters: { deploymentId: target.id, commit: target.commit },
      isProduction: env.type === "production",
    });
  });
  notifyWorkers();
  return activity;
}
