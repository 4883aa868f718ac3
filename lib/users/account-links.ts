import "server-only";
import crypto from "node:crypto";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { accountLinks, users, type AccountLink } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import { canManageUsers, type SessionUser } from "@/lib/auth/permissions";
import { revokeUserSessions } from "@/lib/auth/user-sessions";
import { unlockSignIn } from "@/lib/auth/sign-in-throttle";
import { DomainError } from "@/lib/errors";
import { LINK_UNUSABLE } from "./link-messages";

export { LINK_UNUSABLE };

/** Reset and invitation links work for a day. */
export const LINK_LIFETIME_MS = 24 * 3600 * 1000;

export const hashLinkToken = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

/** A new random token (shown once) and its hash (stored). */
export function newLinkToken(): { token: string; tokenHash: string } {
  const token = crypto.randomBytes(32).toString("base64url");
  return { token, tokenHash: hashLinkToken(token) };
}

/** Link tokens are 43 base64url characters; anything else is refused before a lookup. */
export function isLinkTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}


/** A link of that kind that can still be used, or null. */
export async function getUsableLink(db: Executor, kind: AccountLink["kind"], token: string, now = new Date()): Promise<AccountLink | null> {
  if (!isLinkTokenShaped(token)) return null;
  const [link] = await db
    .select()
    .from(accountLinks)
    .where(and(eq(accountLinks.tokenHash, hashLinkToken(token)), eq(accountLinks.kind, kind), isNull(accountLinks.usedAt), isNull(accountLinks.revokedAt), gt(accountLinks.expiresAt, now)))
    .limit(1);
  return link ?? null;
}

/** Marks a link used, once: false when another request used it first. */
export async function consumeLink(tx: Executor, linkId: string): Promise<boolean> {
  const used = await tx
    .update(accountLinks)
    .set({ usedAt: new Date() })
    .where(and(eq(accountLinks.id, linkId), isNull(accountLinks.usedAt), isNull(accountLinks.revokedAt)))
    .returning({ id: accountLinks.id });
  return used.length === 1;
}

/**
 * An instance administrator (or the machine's own `npm run admin`, actor null) makes a
 * one-time link that sets a user's password; earlier unused reset links for the user are
 * withdrawn. The token is returned once and only its hash is stored.
 */
export async function createPasswordResetLink(db: Db, actor: SessionUser | null, userId: string): Promise<{ token: string; email: string; expiresAt: Date }> {
  if (actor && !canManageUsers(actor)) throw new DomainError("forbidden", "Only instance administrators can reset passwords.");
  const [target] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!target) throw new DomainError("not_found", "This user no longer exists.");
  const { token, tokenHash } = newLinkToken();
  const expiresAt = new Date(Date.now() + LINK_LIFETIME_MS);
  await db.transaction(async (tx) => {
    await tx
      .update(accountLinks)
      .set({ revokedAt: new Date() })
      .where(and(eq(accountLinks.kind, "password_reset"), eq(accountLinks.userId, userId), isNull(accountLinks.usedAt), isNull(accountLinks.revokedAt)));
    await tx.insert(accountLinks).values({ kind: "password_reset", tokenHash, email: target.email, userId, createdBy: actor?.id ?? null, expiresAt });
  });
  return { token, email: target.email, expiresAt };
}

/** Sets the password through a reset link (once); every session of the user ends. */
export async function resetPasswordWithLink(db: Db, token: string, password: string): Promise<{ email: string }> {
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const link = await getUsableLink(tx, "password_reset", token);
    if (!link?.userId || !(await consumeLink(tx, link.id))) throw new DomainError("invalid", LINK_UNUSABLE);
    await tx.update(users).set({ passwordHash }).where(eq(users.id, link.userId));
    await revokeUserSessions(tx, link.userId);
    await unlockSignIn(tx, link.email);
    return { email: link.email };
  });
}
