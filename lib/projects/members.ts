import "server-only";
import { and, asc, count, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { projectMembers, users } from "@/db/schema";
import { canManageProject, FULL_ENVIRONMENT_ACCESS, type ProjectAccess, type SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { notifyProjectChange } from "@/lib/activities/notify";
import type { MemberRolesInput } from "./validation";

export type ProjectMemberRow = Awaited<ReturnType<typeof listProjectMembers>>[number];

/** The members of a project the caller already has access to, oldest first. */
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
    .orderBy(asc(projectMembers.createdAt), asc(users.email));
}

/** A project admin has admin on every environment type; a viewer has what was chosen. */
export function rolesToStore(roles: MemberRolesInput) {
  const env = roles.role === "admin" ? FULL_ENVIRONMENT_ACCESS : roles;
  return { role: roles.role, productionRole: env.production, stagingRole: env.staging, developmentRole: env.development };
}

async function requireAdminAccess(db: Db, user: SessionUser, projectId: string): Promise<ProjectAccess> {
  const access = await requireProjectAccess(db, user, projectId);
  if (!canManageProject(access)) throw new DomainError("forbidden", "Only a project admin can change who has access to this project.");
  return access;
}

export async function addProjectMember(db: Db, user: SessionUser, projectId: string, email: string, roles: MemberRolesInput): Promise<void> {
  const access = await requireAdminAccess(db, user, projectId);
  const [target] = await db.select({ id: users.id }).from(users).where(eq(users.email, email.trim().toLowerCase())).limit(1);
  if (!target) {
    throw new DomainError("invalid", "No account has this email.", {
      email: ["No account has this email. Ask an instance administrator to add the user first."],
    });
  }
  const inserted = await db
    .insert(projectMembers)
    .values({ projectId: access.project.id, userId: target.id, ...rolesToStore(roles) })
    .onConflictDoNothing()
    .returning();
  if (inserted.length === 0) {
    throw new DomainError("conflict", "This user is already a member.", { email: ["This user is already a member; change their roles in the list below."] });
  }
  await notifyProjectChange(db, access.project.id, "members");
}

export async function updateProjectMember(db: Db, user: SessionUser, projectId: string, memberId: string, roles: MemberRolesInput): Promise<void> {
  const access = await requireAdminAccess(db, user, projectId);
  await db.transaction(async (tx) => {
    const { member, where } = await lockMember(tx, access.project.id, memberId);
    if (member.role === "admin" && roles.role !== "admin") await assertAnotherAdmin(tx, access.project.id);
    await tx.update(projectMembers).set(rolesToStore(roles)).where(where);
    await notifyProjectChange(tx, access.project.id, "members");
  });
}

export async function removeProjectMember(db: Db, user: SessionUser, projectId: string, memberId: string): Promise<void> {
  const access = await requireAdminAccess(db, user, projectId);
  await db.transaction(async (tx) => {
    const { member, where } = await lockMember(tx, access.project.id, memberId);
    if (member.role === "admin") await assertAnotherAdmin(tx, access.project.id);
    await tx.delete(projectMembers).where(where);
    await notifyProjectChange(tx, access.project.id, "members");
  });
}

/** Reads and locks one membership row for the rest of the transaction. */
async function lockMember(tx: Pick<Db, "select">, projectId: string, memberId: string) {
  const where = and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, memberId));
  const [member] = await tx.select().from(projectMembers).where(where).for("update");
  if (!member) throw new DomainError("not_found", "This person is no longer a member of the project.");
  return { member, where };
}

async function assertAnotherAdmin(tx: Pick<Db, "select">, projectId: string): Promise<void> {
  const [row] = await tx
    .select({ n: count() })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, "admin")));
  if ((row?.n ?? 0) <= 1) {
    throw new DomainError("conflict", "A project needs at least one project admin. Make someone else project admin first.");
  }
}
