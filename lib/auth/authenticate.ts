import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users, type User } from "@/db/schema";
import { verifyPassword } from "./password";
import { getLockout, recordSignInAttempt, type Lockout } from "./sign-in-throttle";

export const WRONG_CREDENTIALS = "Email or password is wrong.";
export const DEACTIVATED = "This account is deactivated. Ask an administrator to reactivate it.";

export type AuthenticationResult =
  | { ok: true; user: User }
  | { ok: false; reason: "wrong" }
  | { ok: false; reason: "deactivated" }
  | { ok: false; reason: "locked"; lockout: Extract<Lockout, { isLocked: true }> };

/**
 * Checks an email and password from a client address, honouring and recording the lockout
 * (per email and address, and per address). An unknown email costs the same bcrypt
 * comparison as a wrong password; "deactivated" is said only to someone who knows the password.
 */
export async function authenticateWithPassword(db: Db, rawEmail: string, password: string, address: string): Promise<AuthenticationResult> {
  const email = normalizeEmail(rawEmail);
  const lockout = await getLockout(db, email, address);
  if (lockout.isLocked) return { ok: false, reason: "locked", lockout };

  const [user] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  const matches = await verifyPassword(password, user?.passwordHash);
  await recordSignInAttempt(db, email, address, Boolean(user && matches));
  if (!user || !matches) return { ok: false, reason: "wrong" };
  if (user.deactivatedAt) return { ok: false, reason: "deactivated" };
  return { ok: true, user };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
