import "server-only";
import { count, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users, type User } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import { DomainError } from "@/lib/errors";

export interface NewUser {
  name: string;
  email: string;
  password: string;
  isAdmin?: boolean;
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export async function getUserById(db: Db, id: string): Promise<User | null> {
  const [user] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return user ?? null;
}

export async function getUserByEmail(db: Db, email: string): Promise<User | null> {
  const [user] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase())).limit(1);
  return user ?? null;
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(users.createdAt);
}

/** Creates a user; an email that is taken is a field error. */
export async function createUser(db: Db, input: NewUser): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  const email = input.email.trim().toLowerCase();
  const [created] = await db
    .insert(users)
    .values({ name: input.name, email, passwordHash, isAdmin: input.isAdmin ?? false })
    .onConflictDoNothing({ target: users.email })
    .returning();
  if (!created) {
    throw new DomainError("conflict", "A user with this email already exists.", {
      email: ["A user with this email already exists. Use another email."],
    });
  }
  return created;
}

/**
 * The "Create the first administrator" page: allowed only while no user exists. The
 * check and the insert happen under one advisory lock so two visitors cannot both win.
 */
export async function createFirstAdministrator(db: Db, input: NewUser): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  const user = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(727002)`);
    const [row] = await tx.select({ n: count() }).from(users);
    if ((row?.n ?? 0) > 0) {
      throw new DomainError("conflict", "An administrator already exists. Sign in instead.");
    }
    const [created] = await tx
      .insert(users)
      .values({ name: input.name, email: input.email.trim().toLowerCase(), passwordHash, isAdmin: true })
      .returning();
    return created!;
  });
  return user;
}

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD at start: create that instance administrator, or reset
 * the password (and grant administrator) when the account exists.
 */
export async function upsertAdministrator(db: Db, email: string, password: string): Promise<{ user: User; created: boolean }> {
  const passwordHash = await hashPassword(password);
  const normalized = email.trim().toLowerCase();
  const existing = await getUserByEmail(db, normalized);
  if (existing) {
    const [updated] = await db
      .update(users)
      .set({ passwordHash, isAdmin: true })
      .where(eq(users.id, existing.id))
      .returning();
    return { user: updated!, created: false };
  }
  const name = normalized.split("@")[0] ?? "Administrator";
  const [created] = await db.insert(users).values({ name, email: normalized, passwordHash, isAdmin: true }).returning();
  return { user: created!, created: true };
}
