import "server-only";
import { and, asc, desc, eq, exists, or, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities, activityEnvironments, deployments, environments, users, type ActivityCommit, type Environment } from "@/db/schema";
import type { Tx } from "@/lib/activities/queue";
import { canSeeEnvironmentType, type ProjectAccess } from "@/lib/auth/permissions";

export async function listEnvironments(db: Tx, projectId: string): Promise<Environment[]> {
  return db.select().from(environments).where(eq(environments.projectId, projectId)).orderBy(asc(environments.createdAt), asc(environments.name));
}

export async function getEnvironmentByName(db: Tx, projectId: string, name: string): Promise<Environment | null> {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) return null;
  const [row] = await db.select().from(environments).where(and(eq(environments.projectId, projectId), eq(environments.name, name))).limit(1);
  return row ?? null;
}

/** A project's activities, newest first; for one environment, every activity that occupies it. */
export async function listActivities(db: Db, projectId: string, opts: { environmentId?: string; limit?: number } = {}) {
  const where = opts.environmentId
    ? and(
        eq(activities.projectId, projectId),
        or(
          eq(activities.environmentId, opts.environmentId),
          exists(
            db
              .select({ one: sql`1` })
              .from(activityEnvironments)
              .where(and(eq(activityEnvironments.activityId, activities.id), eq(activityEnvironments.environmentId, opts.environmentId))),
          ),
        ),
      )
    : eq(activities.projectId, projectId);
  return db
    .select()
    .from(activities)
    .where(where)
    .orderBy(desc(activities.createdAt), desc(activities.id))
    .limit(opts.limit ?? 50);
}

/** An activity the user may see: null when missing or on an environment type they have no access to. */
export async function getVisibleActivity(db: Db, access: ProjectAccess, activityId: string) {
  if (!/^[0-9a-f-]{36}$/.test(activityId)) return null;
  const [row] = await db
    .select({ activity: activities, type: environments.type })
    .from(activities)
    .leftJoin(environments, eq(environments.id, activities.environmentId))
    .where(and(eq(activities.projectId, access.project.id), eq(activities.id, activityId)))
    .limit(1);
  if (!row) return null;
  // A project-level activity (no environment) is seen by every member of the project.
  if (row.activity.environmentName !== null && !canSeeEnvironmentType(access, row.type ?? "development")) return null;
  return row.activity;
}

export async function latestDeployment(db: Db, environmentId: string) {
  const [row] = await db.select().from(deployments).where(eq(deployments.environmentId, environmentId)).orderBy(desc(deployments.createdAt)).limit(1);
  return row ?? null;
}

/** Each environment's most recent activity (one row per environment). */
export async function lastActivityByEnvironment(db: Db, projectId: string) {
  const rows = await db
    .selectDistinctOn([activities.environmentId], {
      environmentId: activities.environmentId,
      description: activities.description,
      state: activities.state,
      result: activities.result,
      createdAt: activities.createdAt,
    })
    .from(activities)
    .where(eq(activities.projectId, projectId))
    .orderBy(activities.environmentId, desc(activities.createdAt));
  return new Map(rows.filter((r) => r.environmentId).map((r) => [r.environmentId!, r]));
}

/** Who started an activity and the commits it deployed, for its log page. */
export async function getActivityDetails(
  db: Db,
  activity: { id: string; createdBy: string | null; commits?: ActivityCommit[] | null; parameters?: Record<string, unknown> },
): Promise<{ createdBy: string | null; commits: string[]; broughtIn: ActivityCommit[] }> {
  const [user] = activity.createdBy ? await db.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, activity.createdBy)) : [];
  const deployed = await db.select({ commit: deployments.commit }).from(deployments).where(eq(deployments.activityId, activity.id)).orderBy(asc(deployments.createdAt));
  // The deployed commit(s); a push that deployed nothing still names the commit it brought.
  const after = typeof activity.parameters?.after === "string" ? [activity.parameters.after] : [];
  const commits = deployed.length > 0 ? deployed.map((d) => d.commit) : after;
  return { createdBy: user ? (user.name ? `${user.name} (${user.email})` : user.email) : null, commits: [...new Set(commits)], broughtIn: activity.commits ?? [] };
}

/** Each deployed environment's last deploy's fingerprints of its variables and router settings (null: from before fingerprints). */
export async function lastDeploymentDigests(db: Db, projectId: string): Promise<Map<string, { variables: string | null; router: string | null }>> {
  const rows = await db
    .selectDistinctOn([deployments.environmentId], { environmentId: deployments.environmentId, variables: deployments.variablesDigest, router: deployments.routerDigest })
    .from(deployments)
    .innerJoin(environments, eq(environments.id, deployments.environmentId))
    .where(eq(environments.projectId, projectId))
    .orderBy(deployments.environmentId, desc(deployments.createdAt));
  return new Map(rows.map(({ environmentId, ...digests }) => [environmentId, digests]));
}
