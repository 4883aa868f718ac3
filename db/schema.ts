/**
 * The one Drizzle schema, shared by embedded PGlite and PostgreSQL.
 * Column names are camelCase here and snake_case in SQL (casing: "snake_case").
 *
 * Everything a project owns (environments, activities, snapshots, variables in later
 * issues) references projects.id with ON DELETE CASCADE, so deleting a project is one row.
 */
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

export const planEnum = pgEnum("plan", ["starter", "pro"]);
export const projectRoleEnum = pgEnum("project_role", ["admin", "viewer"]);
export const environmentRoleEnum = pgEnum("environment_role", ["admin", "contributor", "viewer", "none"]);

const createdAt = () => timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow();

// ---------------------------------------------------------------------------
// Users and what Auth.js needs (the shape @auth/drizzle-adapter expects)
// ---------------------------------------------------------------------------

export const users = pgTable("users", {
  id: text()
    .primaryKey()
    .$defaultFn(() => crypto.randomUUID()),
  name: text(),
  /** Always stored trimmed and lower-cased. */
  email: text().notNull().unique(),
  emailVerified: timestamp({ withTimezone: true, mode: "date" }),
  image: text(),
  /** bcrypt hash; null for users who can only sign in through another provider. */
  passwordHash: text(),
  /** Instance administrators create projects, manage users and see every project. */
  isAdmin: boolean().notNull().default(false),
  createdAt: createdAt(),
});

export const accounts = pgTable(
  "accounts",
  {
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text().$type<"email" | "oauth" | "oidc" | "webauthn">().notNull(),
    provider: text().notNull(),
    providerAccountId: text().notNull(),
    refresh_token: text(),
    access_token: text(),
    expires_at: integer(),
    token_type: text(),
    scope: text(),
    id_token: text(),
    session_state: text(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.providerAccountId] }), index().on(t.userId)],
);

export const sessions = pgTable(
  "sessions",
  {
    sessionToken: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expires: timestamp({ withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index().on(t.userId)],
);

export const verificationTokens = pgTable(
  "verification_tokens",
  {
    identifier: text().notNull(),
    token: text().notNull(),
    expires: timestamp({ withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.identifier, t.token] })],
);

/** Every credentials sign-in attempt, for the per-email lockout. */
export const signInAttempts = pgTable(
  "sign_in_attempts",
  {
    id: serial().primaryKey(),
    email: text().notNull(),
    succeeded: boolean().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index().on(t.email, t.createdAt)],
);

// ---------------------------------------------------------------------------
// Instance
// ---------------------------------------------------------------------------

/** Small key/value facts about this installation (for example whether the demo is pending). */
export const instanceSettings = pgTable("instance_settings", {
  key: text().primaryKey(),
  value: jsonb().notNull(),
  updatedAt: createdAt(),
});

// ---------------------------------------------------------------------------
// Projects and their members
// ---------------------------------------------------------------------------

export const projects = pgTable(
  "projects",
  {
    /** A short lowercase slug, also used in URLs and (later) the git remote. */
    id: text().primaryKey(),
    title: text().notNull(),
    plan: planEnum().notNull(),
    region: text().notNull(),
    createdAt: createdAt(),
    updatedAt: createdAt(),
    createdBy: text().references(() => users.id, { onDelete: "set null" }),
  },
  (t) => [index().on(t.createdAt)],
);

export const projectMembers = pgTable(
  "project_members",
  {
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: projectRoleEnum().notNull(),
    productionRole: environmentRoleEnum().notNull().default("none"),
    stagingRole: environmentRoleEnum().notNull().default("none"),
    developmentRole: environmentRoleEnum().notNull().default("none"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index().on(t.userId)],
);

export type User = typeof users.$inferSelect;
export type Project = typeof projects.$inferSelect;
export type ProjectMember = typeof projectMembers.$inferSelect;
export type Plan = (typeof planEnum.enumValues)[number];
export type ProjectRole = (typeof projectRoleEnum.enumValues)[number];
export type EnvironmentRole = (typeof environmentRoleEnum.enumValues)[number];
