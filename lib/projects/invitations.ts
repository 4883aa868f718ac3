import "server-only";
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { accountLinks, projectMembers, projects, users, type AccountLink } from "@/db/schema";
import { canManageProject, type SessionUser } from "@/lib/auth/permissions";
import { getProjectAccess } from "@/lib/auth/project-access";
import { hashPassword } from "@/lib/auth/password";
import { DomainError } from "@/lib/errors";
import { LINK_LIFETIME_MS, LINK_UNUSABLE, consumeLink, getUsableLink, newLinkToken } from "@/lib/users/account-links";
import { notifyProjectChange } from "@/lib/activities/notify";
import { rolesToStore } from "./members";
import type { MemberRolesInput } from "./validation";

export interface NewInvitation {
  email: string;
  /** Join this project with these roles; without it the invitation makes an account only. */
  projectId?: string;
  roles?: MemberRolesInput;
}

/**
 * Invites someone by email. Instance administrators may invite into any project or to the
 * instance alone; a project admin into their project. The one-time link (returned once,
 * stored hashed, valid 24 h) lets the person choose a name and password and lands them in
 * the project with the chosen roles. An earlier pending invitation for the same email and
 * project is withdrawn.
 */
export async function createInvitation(db: Db, actor: SessionUser, input: NewInvitation): Promise<{ token: string; expiresAt: Date }> {
  const email = input.email.trim().toLowerCase();
  let projectId: string | null = null;
  let roles: ReturnType<typeof rolesToStore> | null = null;
  if (input.projectId) {
    const access = await getProjectAccess(db, actor, input.projectId);
    if (!access) throw new DomainError("not_found", "This project does not exist or you cannot see it.");
    if (!actor.isAdmin && !canManageProject(access)) throw new DomainError("forbidden", "Only a project admin can invite people to this project.");
    if (!input.roles) throw new DomainError("invalid", "Choose the roles the person gets in the project.");
    projectId = access.project.id;
    roles = rolesToStore(input.roles);
  } else if (!actor.isAdmin) {
    throw new DomainError("forbidden", "Only instance administrators can invite people without a project.");
  }
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
  if (existing) {
    throw new DomainError("conflict", "This email already has an account.", {
      email: [projectId ? "This email already has an account: add the person with “Add member” instead." : "This email already has an account."],
    });
  }
  const { token, tokenHash } = newLinkToken();
  const expiresAt = new Date(Date.now() + LINK_LIFETIME_MS);
  await db.transaction(async (tx) => {
    await tx
      .update(accountLinks)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(accountLinks.kind, "invitation"),
          eq(accountLinks.email, email),
          projectId ? eq(accountLinks.projectId, projectId) : isNull(accountLinks.projectId),
          isNull(accountLinks.usedAt),
          isNull(accountLinks.revokedAt),
        ),
      );
    await tx.insert(accountLinks).values({
      kind: "invitation",
      tokenHash,
      email,
      projectId,
      role: roles?.role ?? null,
      productionRole: roles?.productionRole ?? null,
      stagingRole: roles?.stagingRole ?? null,
      developmentRole: roles?.developmentRole ?? null,
      createdBy: actor.id,
      expiresAt,
    });
    if (projectId) await notifyProjectChange(tx, projectId, "invitations");
  });
  return { token, expiresAt };
}

/** Pending invitations: of one project (for its admins), or all (for instance administrators). */
export async function listPendingInvitations(db: Db, projectId: string | null, now = new Date()): Promise<AccountLink[]> {
  return db
    .select()
    .from(accountLinks)
    .where(
      and(
        eq(accountLinks.kind, "invitation"),
        projectId ? eq(accountLinks.projectId, projectId) : undefined,
        isNull(accountLinks.usedAt),
        isNull(accountLinks.revokedAt),
        gt(accountLinks.expiresAt, now),
      ),
    )
    .orderBy(asc(accountLinks.createdAt));
}

/** Withdraws a pending invitation (by whoever could have made it). */
export async function revokeInvitation(db: Db, actor: SessionUser, invitationId: string): Promise<void> {
  const [link] = await db.select().from(accountLinks).where(and(eq(accountLinks.id, invitationId), eq(accountLinks.kind, "invitation"))).limit(1);
  if (!link) throw new DomainError("not_found", "This invitation no longer exists.");
  if (!actor.isAdmin) {
    const access = link.projectId ? await getProjectAccess(db, actor, link.projectId) : null;
    if (!access || !canManageProject(access)) throw new DomainError("forbidden", "Only a project admin can withdraw this invitation.");
  }
  await db.update(accountLinks).set({ revokedAt: new Date() }).where(and(eq(accountLinks.id, invitationId), isNull(accountLinks.usedAt)));
  if (link.projectId) await notifyProjectChange(db, link.projectId, "invitations");
}

/** What the invitation page shows before the person accepts. */
export async function describeInvitation(db: Db, token: string) {
  const link = await getUsableLink(db, "invitation", token);
  if (!link) return null;
  const [project] = link.projectId ? await db.select({ title: projects.title }).from(projects).where(eq(projects.id, link.projectId)).limit(1) : [];
  return { email: link.email, projectTitle: project?.title ?? null, role: link.role };
}

/**
 * Accepts an invitation once: creates the account with the invited email and the chosen
 * name and password, and the project membership. Returns where to go.
 */
export async function acceptInvitation(db: Db, token: string, input: { name: string; password: string }): Promise<{ email: string; projectId: string | null }> {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const link = await getUsableLink(tx, "invitation", token);
    if (!link || !(await consumeLink(tx, link.id))) throw new DomainError("invalid", LINK_UNUSABLE);
    const [user] = await tx.insert(users).values({ name: input.name, email: link.email, passwordHash }).onConflictDoNothing({ target: users.email }).returning();
    if (!user) throw new DomainError("conflict", "An account with this email exists already. Sign in instead.");
    if (link.projectId && link.role) {
      await tx.insert(projectMembers).values({
        projectId: link.projectId,
        userId: user.id,
        role: link.role,
        productionRole: link.productionRole ?? "none",
        stagingRole: link.stagingRole ?? "none",
        developmentRole: link.developmentRole ?? "none",
      });
      await notifyProjectChange(tx, link.projectId, "members");
    }
    return { email: link.email, projectId: link.projectId };
  });
}
