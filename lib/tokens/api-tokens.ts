import "server-only";
import crypto from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { apiTokens, users, type User } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";

const hash = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

/** Creates a token and returns it once; only its hash is kept. */
export async function createApiToken(db: Db, user: SessionUser, name: string): Promise<{ token: string; id: string }> {
  const token = `pwi_${crypto.randomBytes(24).toString("base64url")}`;
  const [row] = await db.insert(apiTokens).values({ userId: user.id, name, tokenHash: hash(token), prefix: token.slice(0, 10) }).returning();
  return { token, id: row!.id };
}

export async function listApiTokens(db: Db, user: SessionUser) {
  return db
    .select({ id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(eq(apiTokens.userId, user.id))
    .orderBy(desc(apiTokens.createdAt));
}

export async function revokeApiToken(db: Db, user: SessionUser, tokenId: string): Promise<void> {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, user.id), isNull(apiTokens.revokedAt)))
    .returning();
  if (revoked.length === 0) throw new DomainError("not_found", "This token does not exist or is already revoked.");
}

/** The user an email + token pair belongs to, or null (wrong, revoked, or unknown). */
export async function authenticateToken(db: Db, email: string, token: string): Promise<User | null> {
  const [row] = await db
    .select({ user: users, tokenId: apiTokens.id })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hash(token)), isNull(apiTokens.revokedAt), isNull(users.deactivatedAt), eq(users.email, email.trim().toLowerCase())))
    .limit(1);
  if (!row) return null;
  await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, row.tokenId));
  return row.user;
}
