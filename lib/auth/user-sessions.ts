import "server-only";
import crypto from "node:crypto";
import { and, desc, eq, gt, isNull, lt, ne, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { userSessions, users, type User, type UserSession } from "@/db/schema";

/** lastSeenAt is written at most this often, so the check on each request stays one read. */
export const LAST_SEEN_EVERY_MS = 5 * 60 * 1000;

export interface NewSession {
  userId: string;
  userAgent: string;
  clientAddress: string;
  lifetimeMs: number;
}

/** Records a signed-in browser and returns its id (put in the session cookie). */
export async function createUserSession(db: Executor, input: NewSession, now = new Date()): Promise<string> {
  const id = crypto.randomBytes(24).toString("base64url");
  await db.insert(userSessions).values({
    id,
    userId: input.userId,
    userAgent: input.userAgent.slice(0, 300),
    clientAddress: input.clientAddress.slice(0, 100),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + input.lifetimeMs),
  });
  // Forget sessions long gone, a few at a time.
  await db.delete(userSessions).where(and(eq(userSessions.userId, input.userId), lt(userSessions.expiresAt, new Date(now.getTime() - 30 * 24 * 3600 * 1000))));
  return id;
}

/**
 * The user of a live session — not revoked, not expired, user not deactivated — in one
 * indexed read; null otherwise. Marks the session seen when the last mark is old.
 */
export async function getSessionOwner(db: Executor, sessionId: string, now = new Date()): Promise<{ user: User; session: UserSession } | null> {
  const [row] = await db
    .select({ user: users, session: userSessions })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(and(eq(userSessions.id, sessionId), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, now), isNull(users.deactivatedAt)))
    .limit(1);
  if (!row) return null;
  if (now.getTime() - row.session.lastSeenAt.getTime() > LAST_SEEN_EVERY_MS) {
    await db.update(userSessions).set({ lastSeenAt: now }).where(eq(userSessions.id, sessionId));
  }
  return row;
}

/** A user's live sessions, most recently seen first. */
export async function listUserSessions(db: Executor, userId: string, now = new Date()): Promise<UserSession[]> {
  return db
    .select()
    .from(userSessions)
    .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, now)))
    .orderBy(desc(userSessions.lastSeenAt));
}

/** Ends one session (sign-out). */
export async function revokeSession(db: Executor, sessionId: string): Promise<void> {
  await db.update(userSessions).set({ revokedAt: sql`now()` }).where(and(eq(userSessions.id, sessionId), isNull(userSessions.revokedAt)));
}

/** Ends every session of a user, but `keep` (the one asking, after a password change); returns how many ended. */
export async function revokeUserSessions(db: Executor, userId: string, keep?: string): Promise<number> {
  const ended = await db
    .update(userSessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), keep ? ne(userSessions.id, keep) : undefined))
    .returning({ id: userSessions.id });
  return ended.length;
}

/** Ends one of a user's own sessions by id (the Account page's list); false when it is not theirs. */
export async function revokeOwnSession(db: Executor, userId: string, sessionId: string): Promise<boolean> {
  const ended = await db
    .update(userSessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId), isNull(userSessions.revokedAt)))
    .returning({ id: userSessions.id });
  return ended.length > 0;
}
