import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users } from "@/db/schema";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { revokeUserSessions } from "@/lib/auth/user-sessions";
import type { SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";

/**
 * Changes one's own password. The current password is required; every other session of the
 * user ends (the browser asking stays signed in). Returns how many sessions ended.
 */
export async function changePassword(db: Db, user: SessionUser, currentSessionId: string, currentPassword: string, newPassword: string): Promise<number> {
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id)).limit(1);
  if (!row || !(await verifyPassword(currentPassword, row.passwordHash))) {
    throw new DomainError("invalid", "Your current password is not right.", { currentPassword: ["This is not your current password. Type it again."] });
  }
  const passwordHash = await hashPassword(newPassword);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
    return revokeUserSessions(tx, user.id, currentSessionId);
  });
}

/** Changes one's own display name. */
export async function updateOwnName(db: Db, user: SessionUser, name: string): Promise<void> {
  await db.update(users).set({ name }).where(eq(users.id, user.id));
}
