import "server-only";
import { and, count, eq, isNull, ne, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { projectMembers, projects, users, type User } from "@/db/schema";
import { canManageUsers, type SessionUser } from "@/lib/auth/permissions";
import { revokeUserSessions } from "@/lib/auth/user-sessions";
import { unlockSignIn } from "@/lib/auth/sign-in-throttle";
import { DomainError } from "@/lib/errors";

/** Changes to users serialise on this lock, so two admins cannot demote each other at once. */
const USERS_LOCK = 727003;

function requireUserAdmin(actor: SessionUser): void {
  if (!canManageUsers(actor)) throw new DomainError("forbidden", "Only instance administrators can manage users.");
}

async function lockTarget(tx: Executor, userId: string): Promise<User> {
  await tx.execute(sql`select pg_advisory_xact_lock(${USERS_LOCK})`);
  const [target] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!target) throw new DomainError("not_found", "This user no longer exists.");
  return target;
}

/** Refuses a change that would leave the instance without an active administrator. */
async function assertAnotherActiveAdmin(tx: Executor, target: User, change: string): Promise<void> {
  if (!target.isAdmin || target.deactivatedAt) return;
  const [row] = await tx
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.isAdmin, true), isNull(users.deactivatedAt), ne(users.id, target.id)));
  if ((row?.n ?? 0) === 0) {
    throw new DomainError("conflict", `${target.email} is the last active instance administrator, so they cannot be ${change}. Make someone else an administrator first.`);
  }
}

/** An administrator edits a user's name and administrator flag. */
export async function updateUser(db: Db, actor: SessionUser, userId: string, input: { name: string; isAdmin: boolean }): Promise<void> {
  requireUserAdmin(actor);
  await db.transaction(async (tx) => {
    const target = await lockTarget(tx, userId);
    if (target.isAdmin && !input.isAdmin) await assertAnotherActiveAdmin(tx, target, "made a regular user");
    await tx.update(users).set({ name: input.name, isAdmin: input.isAdmin }).where(eq(users.id, userId));
  });
}

/** Deactivated users cannot sign in; their sessions end and their API tokens stop working at once. */
export async function deactivateUser(db: Db, actor: SessionUser, userId: string): Promise<void> {
  requireUserAdmin(actor);
  await db.transaction(async (tx) => {
    const target = await lockTarget(tx, userId);
    if (target.deactivatedAt) return;
    await assertAnotherActiveAdmin(tx, target, "deactivated");
    await tx.update(users).set({ deactivatedAt: new Date() }).where(eq(users.id, userId));
    await revokeUserSessions(tx, userId);
  });
}

export async function reactivateUser(db: Db, actor: SessionUser, userId: string): Promise<void> {
  requireUserAdmin(actor);
  await db.transaction(async (tx) => {
    await lockTarget(tx, userId);
    await tx.update(users).set({ deactivatedAt: null }).where(eq(users.id, userId));
  });
}

/**
 * Deletes a user: their sessions, tokens and project memberships go with them (activities
 * keep their history without a name). Refused for the last active instance administrator
 * and for the only admin of a project, who must hand the project over first.
 */
export async function deleteUser(db: Db, actor: SessionUser, userId: string): Promise<void> {
  requireUserAdmin(actor);
  await db.transaction(async (tx) => {
    const target = await lockTarget(tx, userId);
    await assertAnotherActiveAdmin(tx, target, "deleted");
    const soleAdminOf = await tx
      .select({ title: projects.title })
      .from(projectMembers)
      .innerJoin(projects, eq(projects.id, projectMembers.projectId))
      .where(
        and(
          eq(projectMembers.userId, userId),
          eq(projectMembers.role, "admin"),
          sql`not exists (select 1 from project_members o where o.project_id = ${projectMembers.projectId} and o.role = 'admin' and o.user_id <> ${userId})`,
        ),
      )
      .limit(3);
    if (soleAdminOf.length > 0) {
      const names = soleAdminOf.map((p) => `"${p.title}"`).join(", ");
      throw new DomainError("conflict", `${target.email} is the only project admin of ${names}. Make someone else project admin there first, or deactivate the user instead.`);
    }
    await tx.delete(users).where(eq(users.id, userId));
  });
}

/** Lifts every sign-in lock on a user's email. */
export async function unlockUser(db: Db, actor: SessionUser, userId: string): Promise<number> {
  requireUserAdmin(actor);
  const [target] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId)).limit(1);
  if (!target) throw new DomainError("not_found", "This user no longer exists.");
  return unlockSignIn(db, target.email);
}
