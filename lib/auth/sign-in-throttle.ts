import "server-only";
import { and, desc, eq, gt, lt } from "drizzle-orm";
import type { Db } from "@/db/client";
import { signInAttempts } from "@/db/schema";

export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60 * 1000;

export type Lockout = { isLocked: false } | { isLocked: true; retryAfterSeconds: number };

/**
 * Ten failed sign-ins for one email within 15 minutes (since its last success) lock that
 * email until the oldest of those failures is 15 minutes old.
 */
export async function getLockout(db: Db, email: string, now = new Date()): Promise<Lockout> {
  const since = new Date(now.getTime() - WINDOW_MS);
  const recent = await db
    .select({ succeeded: signInAttempts.succeeded, createdAt: signInAttempts.createdAt })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.email, email), gt(signInAttempts.createdAt, since)))
    .orderBy(desc(signInAttempts.createdAt), desc(signInAttempts.id))
    .limit(MAX_FAILURES + 1);
  const failures: Date[] = [];
  for (const attempt of recent) {
    if (attempt.succeeded) break;
    failures.push(attempt.createdAt);
  }
  if (failures.length < MAX_FAILURES) return { isLocked: false };
  const oldest = failures[MAX_FAILURES - 1]!;
  const retryAfterMs = oldest.getTime() + WINDOW_MS - now.getTime();
  return { isLocked: true, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

export async function recordSignInAttempt(db: Db, email: string, succeeded: boolean, now = new Date()): Promise<void> {
  await db.insert(signInAttempts).values({ email, succeeded, createdAt: now });
  // Keep the table small: a day of history per email is more than the window needs.
  await db
    .delete(signInAttempts)
    .where(and(eq(signInAttempts.email, email), lt(signInAttempts.createdAt, new Date(now.getTime() - 24 * 3600 * 1000))));
}

export function describeLockout(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many failed sign-ins for this email. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}, or ask an administrator to reset the password.`;
}
