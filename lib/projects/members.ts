import "server-only";
import { asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { projectMembers, users } from "@/db/schema";
import type { ProjectAccess } from "@/lib/auth/permissions";

/** The members of a project the caller already has access to. */
export async function listProjectMembers(db: Db, access: ProjectAccess) {
  return db
    .select({
      userId: users.id,
      name: users.name,
      email: users.email,
      role: projectMembers.role,
      productionRole: projectMembers.productionRole,
      stagingRole: projectMembers.stagingRole,
      developmentRole: projectMembers.developmentRole,
    })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.projectId, access.project.id))
    .orderBy(asc(projectMembers.createdAt));
}
