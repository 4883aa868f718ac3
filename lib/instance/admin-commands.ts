import "server-only";
import type { Db } from "@/db/client";
import { env } from "@/lib/env";
import { unlockSignIn } from "@/lib/auth/sign-in-throttle";
import { createPasswordResetLink } from "@/lib/users/account-links";
import { getUserByEmail } from "@/lib/users/create-user";

export type AdminRequest = { command: "reset-password"; email: string } | { command: "unlock"; email: string };
export type AdminAnswer = { ok: true; message: string } | { ok: false; error: string };

/** What `npm run admin` can do on the machine itself (recovery without a signed-in administrator). */
export async function adminCommand(db: Db, request: AdminRequest): Promise<AdminAnswer> {
  const email = typeof request?.email === "string" ? request.email.trim().toLowerCase() : "";
  const user = email ? await getUserByEmail(db, email) : null;
  if (!user) return { ok: false, error: `No user has the email "${email}". List users on the Users page, or create one with ADMIN_EMAIL and ADMIN_PASSWORD.` };
  if (request.command === "reset-password") {
    const { token, expiresAt } = await createPasswordResetLink(db, null, user.id);
    const base = env().PUBLIC_URL ?? `http://localhost:${env().PORT}`;
    await unlockSignIn(db, user.email);
    return {
      ok: true,
      message: `Open this link to set a new password for ${user.email} (once, until ${expiresAt.toISOString()}):\n${base}/reset-password/${token}` + (user.deactivatedAt ? `\nNote: this account is deactivated; an administrator must reactivate it too.` : ""),
    };
  }
  if (request.command === "unlock") {
    const n = await unlockSignIn(db, user.email);
    return { ok: true, message: n > 0 ? `Unlocked sign-in for ${user.email}.` : `${user.email} was not locked.` };
  }
  return { ok: false, error: "Unknown command." };
}
