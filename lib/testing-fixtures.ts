// Test-only helpers for integration tests (never imported by the app).
import crypto from "node:crypto";
import type { Db } from "@/db/client";
import type { SessionUser } from "@/lib/auth/permissions";
import { createUser } from "@/lib/users/create-user";

export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${crypto.randomBytes(4).toString("hex")}@example.com`;
}

export async function makeUser(db: Db, opts: { isAdmin?: boolean; password?: string } = {}): Promise<SessionUser> {
  const user = await createUser(db, { name: "Test User", email: uniqueEmail(), password: opts.password ?? "password-123", isAdmin: opts.isAdmin });
  return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
}

export function uniqueProjectId(prefix = "proj"): string {
  return `${prefix}-${crypto.randomBytes(3).toString("hex")}`;
}
