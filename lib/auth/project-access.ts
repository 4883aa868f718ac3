import "server-only";
import { and, count, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { projectMembers, projects, type Project } from "@/db/schema";
import { INSTANCE_ADMIN_ENVIRONMENT_ACCESS, type ProjectAccess, type SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";

export type ProjectSummary = Project & { memberCount: number; role: ProjectAccess["role"] };

/**
 * What `user` may see of one project, or null when the project does not exist or the
 * user may not see it (both answer 404 to the browser, so nobody learns which).
 */
export async function getProjectAccess(db: Db, user: SessionUser, projectId: string): Promise<ProjectAccess | null> {
  if (typeof projectId !== "string" || projectId.length === 0 || projectId.length > 100) return null;
  const [row] = await db
    .select({ project: projects, member: projectMembers })
    .from(projects)
    .leftJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, user.id)))
    .where(eq(projects.id, projectId))
    .limit(1);
  if (!row) return null;
  if (row.member) {
    return {
      project: row.project,
      role: row.member.role,
      environmentRoles: {
        production: row.member.productionRole,
        staging: row.member.stagingRole,
        development: row.member.developmentRole,
      },
    };
  }
  if (user.isAdmin) return { project: row.project, role: null, environmentRoles: INSTANCE_ADMIN_ENVIRONMENT_ACCESS };
  return null;
}

/** Like getProjectAccess, but a missing project is a DomainError (for actions). */
export async function requireProjectAccess(db: Db, user: SessionUser, projectId: string): Promise<ProjectAccess> {
  const access = await getProjectAccess(db, user, projectId);
  if (!access) throw new DomainError("not_found", "This project does not exist or you do not have access to it.");
  return access;
}

/** The projects `user` may see, newest first, with member counts. */
export async function listProjectsForUser(db: Db, user: SessionUser): Promise<ProjectSummary[]> {
  const memberCounts = db
    .select({ projectId: projectMembers.projectId, memberCount: count().as("member_count") })
    .from(projectMembers)
    .groupBy(projectMembers.projectId)
    .as("member_counts");
  const mine = db
    .select({ projectId: projectMembers.projectId, role: projectMembers.role })
    .from(projectMembers)
    .where(eq(projectMembers.userId, user.id))
    .as("mine");

  const query = db
    .select({ project: projects, memberCount: memberCounts.memberCount, role: mine.role })
    .from(projects)
    .leftJoin(memberCounts, eq(memberCounts.projectId, projects.id))
    .leftJoin(mine, eq(mine.projectId, projects.id))
    .orderBy(desc(projects.createdAt), projects.id)
    .$dynamic();
  const rows = user.isAdmin ? await query : await query.where(eq(mine.projectId, projects.id));
  return rows.map((r) => ({ ...r.project, memberCount: Number(r.memberCount ?? 0), role: r.role ?? null }));
}
