import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users, type User } from "@/db/schema";
import { verifyPassword } from "./password";
import { getLockout, recordSignInAttempt } from "./sign-in-throttle";

export const WRONG_CREDENTIALS = "Email or password is wrong.";

export type AuthenticationResult =
  | { ok: true; user: User }
  | { ok: false; reason: "wrong" }
  | { ok: false; reason: "locked"; retryAfterSeconds: number };

/** Checks an email and password, honouring and recording the per-email lockout. */
export async function authenticateWithPassword(db: Db, rawEmail: string, password: string): Promise<AuthenticationResult> {
  const email = normalizeEmail(rawEmail);
  const lockout = await getLockout(db, email);
  if (lockout.isLocked) return { ok: false, reason: "locked", retryAfterSeconds: lockout.retryAfterSeconds };

  const [user] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  const matches = await verifyPassword(password, user?.passwordHash);
  await recordSignInAttempt(db, email, Boolean(user && matches));
  if (!user || !matches) return { ok: false, reason: "wrong" };
  return { ok: true, user };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
