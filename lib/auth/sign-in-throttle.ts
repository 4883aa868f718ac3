import "server-only";
import { and, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { signInAttempts } from "@/db/schema";

/** Failures for one email from one address (since its last success there) that lock that pair. */
export const MAX_FAILURES = 10;
/** Failures from one address, for any emails, that lock the address. */
export const MAX_ADDRESS_FAILURES = 50;
export const WINDOW_MS = 15 * 60 * 1000;

export type Lockout = { isLocked: false } | { isLocked: true; retryAfterSeconds: number; scope: "pair" | "address" };

/**
 * Whether sign-ins for `email` from `address` are refused for now. Failures count per
 * (email, address) and per address, never per email alone: someone guessing from one place
 * cannot lock the owner out from another. Ten failures of a pair within 15 minutes (since its
 * last success) lock that pair; fifty from one address lock the address. Either lifts when
 * the oldest counted failure is 15 minutes old, or when an administrator unlocks the email.
 */
export async function getLockout(db: Executor, email: string, address: string, now = new Date()): Promise<Lockout> {
  const since = new Date(now.getTime() - WINDOW_MS);
  const recent = await db
    .select({ succeeded: signInAttempts.succeeded, createdAt: signInAttempts.createdAt })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.email, email), eq(signInAttempts.clientAddress, address), gt(signInAttempts.createdAt, since)))
    .orderBy(desc(signInAttempts.createdAt), desc(signInAttempts.id))
    .limit(MAX_FAILURES + 1);
  const failures: Date[] = [];
  for (const attempt of recent) {
    if (attempt.succeeded) break;
    failures.push(attempt.createdAt);
  }
  if (failures.length >= MAX_FAILURES) return locked(failures[MAX_FAILURES - 1]!, now, "pair");

  const fromAddress = await db
    .select({ createdAt: signInAttempts.createdAt })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.clientAddress, address), eq(signInAttempts.succeeded, false), gt(signInAttempts.createdAt, since)))
    .orderBy(desc(signInAttempts.createdAt), desc(signInAttempts.id))
    .limit(MAX_ADDRESS_FAILURES);
  if (fromAddress.length >= MAX_ADDRESS_FAILURES) return locked(fromAddress[MAX_ADDRESS_FAILURES - 1]!.createdAt, now, "address");
  return { isLocked: false };
}

function locked(oldestCounted: Date, now: Date, scope: "pair" | "address"): Lockout {
  const retryAfterMs = oldestCounted.getTime() + WINDOW_MS - now.getTime();
  return { isLocked: true, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), scope };
}

export async function recordSignInAttempt(db: Executor, email: string, address: string, succeeded: boolean, now = new Date()): Promise<void> {
  await db.insert(signInAttempts).values({ email, clientAddress: address, succeeded, createdAt: now });
  // Keep the table small: a day of history is more than the window needs.
  const dayAgo = new Date(now.getTime() - 24 * 3600 * 1000);
  await db.delete(signInAttempts).where(and(eq(signInAttempts.email, email), lt(signInAttempts.createdAt, dayAgo)));
  await db.delete(signInAttempts).where(and(eq(signInAttempts.clientAddress, address), lt(signInAttempts.createdAt, dayAgo)));
}

/** Every locked (email, address) pair now, for the Users page. */
export async function listSignInLocks(db: Executor, now = new Date()): Promise<{ email: string; address: string }[]> {
  const since = new Date(now.getTime() - WINDOW_MS);
  return db
    .select({ email: signInAttempts.email, address: signInAttempts.clientAddress })
    .from(signInAttempts)
    .where(
      and(
        eq(signInAttempts.succeeded, false),
        gt(signInAttempts.createdAt, since),
        // only failures after the pair's last success count
        sql`${signInAttempts.createdAt} > coalesce((select max(s.created_at) from sign_in_attempts s where s.email = ${signInAttempts.email} and s.client_address = ${signInAttempts.clientAddress} and s.succeeded), 'epoch')`,
      ),
    )
    .groupBy(signInAttempts.email, signInAttempts.clientAddress)
    .having(sql`count(*) >= ${MAX_FAILURES}`);
}

/** An administrator lifts every lock on an email: its failures are forgotten. */
export async function unlockSignIn(db: Executor, email: string): Promise<number> {
  const removed = await db.delete(signInAttempts).where(and(eq(signInAttempts.email, email), eq(signInAttempts.succeeded, false))).returning({ id: signInAttempts.id });
  return removed.length;
}

export function describeLockout(lockout: { retryAfterSeconds: number; scope: "pair" | "address" }, now = new Date()): string {
  const minutes = Math.ceil(lockout.retryAfterSeconds / 60);
  const at = new Date(now.getTime() + lockout.retryAfterSeconds * 1000).toISOString().slice(11, 16);
  const when = `Try again in ${minutes} minute${minutes === 1 ? "" : "s"} (at ${at} UTC)`;
  return lockout.scope === "pair"
    ? `Too many failed sign-ins for this email from this network. ${when}, or ask an administrator to unlock it or to send you a password reset link.`
    : `Too many failed sign-ins from this network. ${when}.`;
}
