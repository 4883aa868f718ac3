import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { accountLinks, projectMembers } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { authenticateWithPassword } from "@/lib/auth/authenticate";
import { createUserSession, getSessionOwner, listUserSessions, revokeSession } from "@/lib/auth/user-sessions";
import { MAX_FAILURES, getLockout, recordSignInAttempt } from "@/lib/auth/sign-in-throttle";
import { DomainError } from "@/lib/errors";
import { createProject } from "@/lib/projects/create-project";
import { acceptInvitation, createInvitation, describeInvitation, revokeInvitation } from "@/lib/projects/invitations";
import { addProjectMember } from "@/lib/projects/members";
import { makeUser, uniqueEmail, uniqueProjectId } from "@/lib/testing-fixtures";
import { authenticateToken, createApiToken } from "@/lib/tokens/api-tokens";
import { changePassword } from "./account";
import { createPasswordResetLink, resetPasswordWithLink } from "./account-links";
import { deactivateUser, deleteUser, reactivateUser, updateUser } from "./manage-users";

const DAY = 24 * 3600 * 1000;
const session = (db: Parameters<typeof createUserSession>[0], userId: string) => createUserSession(db, { userId, userAgent: "test", clientAddress: "192.0.2.1", lifetimeMs: DAY });

describeEachDatabase("accounts and sessions", ({ db }) => {
  it("a session works until it is signed out, and expires on its own", async () => {
    const user = await makeUser(db());
    const sid = await session(db(), user.id);
    expect((await getSessionOwner(db(), sid))?.user.id).toBe(user.id);
    expect(await getSessionOwner(db(), sid, new Date(Date.now() + DAY + 1000))).toBeNull();
    await revokeSession(db(), sid);
    expect(await getSessionOwner(db(), sid)).toBeNull();
    expect(await getSessionOwner(db(), "no-such-session")).toBeNull();
  });

  it("a password change needs the current password and ends every other session", async () => {
    const user = await makeUser(db(), { password: "old-password" });
    const here = await session(db(), user.id);
    const elsewhere = await session(db(), user.id);
    await expect(changePassword(db(), user, here, "not-it", "new-password")).rejects.toMatchObject({ fieldErrors: { currentPassword: [expect.any(String)] } });
    expect(await getSessionOwner(db(), elsewhere)).not.toBeNull();
    expect(await changePassword(db(), user, here, "old-password", "new-password")).toBe(1);
    expect(await getSessionOwner(db(), here)).not.toBeNull();
    expect(await getSessionOwner(db(), elsewhere)).toBeNull();
    expect((await authenticateWithPassword(db(), user.email, "new-password", "192.0.2.1")).ok).toBe(true);
    expect((await listUserSessions(db(), user.id)).map((s) => s.id)).toEqual([here]);
  });

  it("deactivation ends sessions and API tokens at once, refuses sign-in, and reactivation restores sign-in", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const user = await makeUser(db(), { password: "password-123" });
    const sid = await session(db(), user.id);
    const { token } = await createApiToken(db(), user, "laptop");
    await deactivateUser(db(), admin, user.id);
    expect(await getSessionOwner(db(), sid)).toBeNull();
    expect(await authenticateToken(db(), user.email, token)).toBeNull();
    expect(await authenticateWithPassword(db(), user.email, "password-123", "192.0.2.1")).toEqual({ ok: false, reason: "deactivated" });
    // A wrong password still says only "wrong": deactivation is not revealed to a guesser.
    expect(await authenticateWithPassword(db(), user.email, "wrong-password", "192.0.2.1")).toEqual({ ok: false, reason: "wrong" });
    await reactivateUser(db(), admin, user.id);
    expect(await getSessionOwner(db(), sid)).toBeNull(); // ended sessions stay ended
    expect((await authenticateWithPassword(db(), user.email, "password-123", "192.0.2.1")).ok).toBe(true);
    expect(await authenticateToken(db(), user.email, token)).not.toBeNull();
  });

  it("only instance administrators manage users, and the last active administrator stays", async () => {
    const plain = await makeUser(db());
    const target = await makeUser(db());
    await expect(deactivateUser(db(), plain, target.id)).rejects.toMatchObject({ code: "forbidden" });
    await expect(updateUser(db(), plain, target.id, { name: "X", isAdmin: true })).rejects.toMatchObject({ code: "forbidden" });
    const admin = await makeUser(db(), { isAdmin: true });
    // Other administrators may exist from other tests: demote or deactivate them all but one.
    const others = await db().query.users.findMany({ where: (u, { and, eq, isNull, ne }) => and(eq(u.isAdmin, true), isNull(u.deactivatedAt), ne(u.id, admin.id)) });
    for (const o of others) await deactivateUser(db(), admin, o.id);
    await expect(deactivateUser(db(), admin, admin.id)).rejects.toThrow(/last active instance administrator/);
    await expect(deleteUser(db(), admin, admin.id)).rejects.toThrow(/last active instance administrator/);
    await expect(updateUser(db(), admin, admin.id, { name: "Me", isAdmin: false })).rejects.toThrow(/last active instance administrator/);
    await updateUser(db(), admin, target.id, { name: "Second", isAdmin: true });
    await updateUser(db(), admin, admin.id, { name: "Me", isAdmin: false }); // now allowed: another admin exists
    for (const o of others) await reactivateUser(db(), { ...admin, isAdmin: true }, o.id);
  });

  it("deleting a user removes their memberships, but not while they are a project's only admin", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const owner = await makeUser(db(), { isAdmin: true });
    const member = await makeUser(db());
    const project = await createProject(db(), owner, { title: "Del", id: uniqueProjectId(), plan: "starter", region: "us-3" });
    await addProjectMember(db(), owner, project.id, member.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    await expect(deleteUser(db(), admin, owner.id)).rejects.toThrow(/only project admin/);
    await deleteUser(db(), admin, member.id);
    expect(await db().select().from(projectMembers).where(eq(projectMembers.userId, member.id))).toEqual([]);
  });

  it("a reset link works once, within a day, ends sessions and lifts lockouts", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const user = await makeUser(db(), { password: "old-password" });
    const sid = await session(db(), user.id);
    for (let i = 0; i < MAX_FAILURES; i++) await recordSignInAttempt(db(), user.email, "192.0.2.9", false);
    await expect(createPasswordResetLink(db(), user, user.id)).rejects.toBeInstanceOf(DomainError);
    const { token } = await createPasswordResetLink(db(), admin, user.id);
    await resetPasswordWithLink(db(), token, "fresh-password");
    expect(await getSessionOwner(db(), sid)).toBeNull();
    expect(await getLockout(db(), user.email, "192.0.2.9")).toEqual({ isLocked: false });
    expect((await authenticateWithPassword(db(), user.email, "fresh-password", "192.0.2.1")).ok).toBe(true);
    await expect(resetPasswordWithLink(db(), token, "other-password")).rejects.toThrow(/expired, was already used/);
    // An expired link, and a made-up one, are refused the same way.
    const late = await createPasswordResetLink(db(), admin, user.id);
    await db().update(accountLinks).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(accountLinks.email, user.email));
    await expect(resetPasswordWithLink(db(), late.token, "other-password")).rejects.toThrow(/expired/);
    await expect(resetPasswordWithLink(db(), "x".repeat(43), "other-password")).rejects.toThrow(/expired/);
    await expect(resetPasswordWithLink(db(), "'; drop table users; --", "other-password")).rejects.toThrow(/expired/);
  });

  it("an invitation joins the project with its roles, once; project admins may invite, viewers may not", async () => {
    const owner = await makeUser(db(), { isAdmin: true });
    const viewer = await makeUser(db());
    const project = await createProject(db(), owner, { title: "Invite", id: uniqueProjectId(), plan: "starter", region: "us-3" });
    await addProjectMember(db(), owner, project.id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    const roles = { role: "viewer", production: "none", staging: "viewer", development: "contributor" } as const;
    const email = uniqueEmail("invitee");
    await expect(createInvitation(db(), viewer, { email, projectId: project.id, roles })).rejects.toMatchObject({ code: "forbidden" });
    await expect(createInvitation(db(), viewer, { email })).rejects.toMatchObject({ code: "forbidden" });
    await expect(createInvitation(db(), owner, { email: viewer.email, projectId: project.id, roles })).rejects.toMatchObject({ code: "conflict" });

    const { token } = await createInvitation(db(), owner, { email, projectId: project.id, roles });
    expect(await describeInvitation(db(), token)).toMatchObject({ email, projectTitle: "Invite", role: "viewer" });
    const joined = await acceptInvitation(db(), token, { name: "New Person", password: "chosen-password" });
    expect(joined).toEqual({ email, projectId: project.id });
    const [membership] = await db().select().from(projectMembers).where(eq(projectMembers.projectId, project.id)).then((rows) => rows.filter((r) => r.userId !== owner.id && r.userId !== viewer.id));
    expect(membership).toMatchObject({ role: "viewer", productionRole: "none", stagingRole: "viewer", developmentRole: "contributor" });
    await expect(acceptInvitation(db(), token, { name: "Again", password: "chosen-password" })).rejects.toThrow(/already used/);
    expect(await describeInvitation(db(), token)).toBeNull();

    // Withdrawn and expired invitations cannot be used.
    const withdrawn = await createInvitation(db(), owner, { email: uniqueEmail(), projectId: project.id, roles });
    const [link] = await db().select().from(accountLinks).where(eq(accountLinks.tokenHash, (await import("./account-links")).hashLinkToken(withdrawn.token)));
    await revokeInvitation(db(), owner, link!.id);
    await expect(acceptInvitation(db(), withdrawn.token, { name: "W", password: "chosen-password" })).rejects.toThrow(/withdrawn/);
    const expired = await createInvitation(db(), owner, { email: uniqueEmail(), projectId: project.id, roles });
    await db().update(accountLinks).set({ expiresAt: new Date(Date.now() - 1) }).where(eq(accountLinks.tokenHash, (await import("./account-links")).hashLinkToken(expired.token)));
    await expect(acceptInvitation(db(), expired.token, { name: "E", password: "chosen-password" })).rejects.toThrow(/expired/);
  });

  it("two people using one invitation at once: exactly one account is made", async () => {
    const owner = await makeUser(db(), { isAdmin: true });
    const { token } = await createInvitation(db(), owner, { email: uniqueEmail("race") });
    const results = await Promise.allSettled([
      acceptInvitation(db(), token, { name: "A", password: "password-aaa" }),
      acceptInvitation(db(), token, { name: "B", password: "password-bbb" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});
