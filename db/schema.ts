/**
 * The one Drizzle schema, shared by embedded PGlite and PostgreSQL.
 * Column names are camelCase here and snake_case in SQL (casing: "snake_case").
 *
 * Everything a project owns (environments, activities, snapshots, variables in later
 * issues) references projects.id with ON DELETE CASCADE, so deleting a project is one row.
 */
import {
  type AnyPgColumn,
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import type { ActivityCommit, HttpAccessSettings, MailRelaySettings } from "./json-columns";

/** The jsonb columns' shapes (db/json-columns.ts holds their schemas; a read is checked there). */
export type { ActivityCommit, HttpAccessSettings, MailRelaySettings };

/** Binary data (PGlite answers Uint8Array, node-postgres Buffer). */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

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
  /** A deactivated user cannot sign in, and their sessions and API tokens stop working; null when active. */
  deactivatedAt: timestamp({ withTimezone: true, mode: "date" }),
  createdAt: createdAt(),
});

/**
 * One row per signed-in browser. The session cookie (a JWT) names its row; a request is
 * signed in only while the row is neither revoked nor expired and its user is active, so
 * signing out, a password change or deactivating a user ends sessions at once.
 */
export const userSessions = pgTable(
  "user_sessions",
  {
    id: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    userAgent: text().notNull().default(""),
    clientAddress: text().notNull().default(""),
    createdAt: createdAt(),
    /** Updated at most every few minutes, so the per-request check stays a read. */
    lastSeenAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    revokedAt: timestamp({ withTimezone: true, mode: "date" }),
  },
  (t) => [index().on(t.userId)],
);

export const accountLinkKindEnum = pgEnum("account_link_kind", ["invitation", "password_reset"]);

/**
 * One-time links shown to an administrator to pass on: an invitation (an email, optionally
 * a project and its roles) or a password reset for an existing user. Only a hash of the
 * token is stored; a link works once, until it expires.
 */
export const accountLinks = pgTable(
  "account_links",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    kind: accountLinkKindEnum().notNull(),
    tokenHash: text().notNull().unique(),
    email: text().notNull(),
    /** The user whose password a reset link sets. */
    userId: text().references(() => users.id, { onDelete: "cascade" }),
    /** The project an invitation joins, with its roles (null: an account only). */
    projectId: text().references(() => projects.id, { onDelete: "cascade" }),
    role: projectRoleEnum(),
    productionRole: environmentRoleEnum(),
    stagingRole: environmentRoleEnum(),
    developmentRole: environmentRoleEnum(),
    createdBy: text().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    usedAt: timestamp({ withTimezone: true, mode: "date" }),
    /** Withdrawn by an administrator before use. */
    revokedAt: timestamp({ withTimezone: true, mode: "date" }),
  },
  (t) => [index().on(t.projectId), index().on(t.email)],
);

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
    /** Where the attempt came from (the socket's address, or a trusted proxy's). */
    clientAddress: text().notNull().default(""),
    succeeded: boolean().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index().on(t.email, t.createdAt), index().on(t.clientAddress, t.createdAt)],
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
    /** The environment a pushed new branch hangs under; null: Integration on Pro, the root on Starter. */
    defaultBranchParent: text(),
    /** Non-production environments not deployed for this many days are paused (0: never). */
    autoPauseDays: integer().notNull().default(14),
    /** Automated backups per environment type, and manual snapshots kept (lib/snapshots/backup-schedule.ts); null: the defaults. Read through projectBackupSchedules, which checks it. */
    backupSchedules: jsonb().$type<Record<string, unknown>>(),
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
export type UserSession = typeof userSessions.$inferSelect;
export type AccountLink = typeof accountLinks.$inferSelect;
export type Project = typeof projects.$inferSelect;
export type ProjectMember = typeof projectMembers.$inferSelect;
export type Plan = (typeof planEnum.enumValues)[number];
export type ProjectRole = (typeof projectRoleEnum.enumValues)[number];
export type EnvironmentRole = (typeof environmentRoleEnum.enumValues)[number];

// ---------------------------------------------------------------------------
// Environments, activities and deployments
// ---------------------------------------------------------------------------

export const environmentTypeEnum = pgEnum("environment_type", ["production", "staging", "development"]);
export const environmentStatusEnum = pgEnum("environment_status", ["active", "inactive", "dirty", "deleting"]);
export const activityStateEnum = pgEnum("activity_state", ["pending", "in_progress", "complete", "cancelled"]);
export const activityResultEnum = pgEnum("activity_result", ["success", "failure"]);

/** One environment per git branch of a project. */
export const environments = pgTable(
  "environments",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** The machine name, which is also the git branch. */
    name: text().notNull(),
    title: text().notNull(),
    parentId: text(),
    type: environmentTypeEnum().notNull(),
    status: environmentStatusEnum().notNull(),
    /** The commit of the current deployment; null before the first deploy and after Deactivate. */
    deployedCommit: text(),
    deployedAt: timestamp({ withTimezone: true, mode: "date" }),
    /** Settings the router enforces from the next deploy on (a deploy keeps a copy). */
    httpAccess: jsonb().$type<HttpAccessSettings>().notNull().default({ enabled: false, logins: [], rules: [] }),
    /** Its parent's HTTP access control applies (set on branching; saving its own ends it). */
    httpAccessInherited: boolean().notNull().default(false),
    /** "Hide from search engines": X-Robots-Tag and a robots.txt that disallows everything. */
    restrictRobots: boolean().notNull().default(true),
    /** Paused: the router answers 503 until Resume, a push or a redeploy. */
    pausedAt: timestamp({ withTimezone: true, mode: "date" }),
    /** Pause crons: the scheduler starts none of its crons until Resume crons (Run now still works). */
    cronsPausedAt: timestamp({ withTimezone: true, mode: "date" }),
    cronsPausedBy: text().references(() => users.id, { onDelete: "set null" }),
    /** When its crons last became runnable again (Resume crons, Resume): times before it are not counted missed. */
    cronsSince: timestamp({ withTimezone: true, mode: "date" }),
    /** Outgoing e-mail: kept in the Mailbox when on; refused with an SMTP error when off. */
    outgoingEmail: boolean().notNull().default(false),
    /** Production only: an SMTP server kept messages are also forwarded to (the password sealed like a sensitive variable). */
    mailRelay: jsonb().$type<MailRelaySettings>(),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [uniqueIndex().on(t.projectId, t.name), index().on(t.projectId, t.parentId)],
);

/** An activity's `type` is not a cron run's: the predicate of the activities' partial indexes, and NOT_A_CRON_RUN. */
function notACronRun(type: AnyPgColumn) {
  return sql`${type} <> 'environment.cron'`;
}

/** The record of every action: queued, run by a worker, logged. */
export const activities = pgTable(
  "activities",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** The environment the activity is about (null once that environment is deleted, and for project-level activities). */
    environmentId: text().references(() => environments.id, { onDelete: "set null" }),
    /** null: a project-level activity (a project variable saved), about no environment. */
    environmentName: text(),
    type: text().notNull(),
    state: activityStateEnum().notNull().default("pending"),
    result: activityResultEnum(),
    description: text().notNull(),
    parameters: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** The commits the activity brought in (a push's, a merge's), newest first, at most 50; null when none apply. */
    commits: jsonb().$type<ActivityCommit[]>(),
    /** Production's activities are claimed before others. */
    priority: integer().notNull().default(0),
    createdBy: text().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    startedAt: timestamp({ withTimezone: true, mode: "date" }),
    completedAt: timestamp({ withTimezone: true, mode: "date" }),
    workerId: text(),
    heartbeatAt: timestamp({ withTimezone: true, mode: "date" }),
    cancelRequested: boolean().notNull().default(false),
    /** Where a running deploy is: build, deploy (cancel is allowed only while building). */
    phase: text(),
    /** The pg-boss job that will run this pending activity (set when its turn comes). */
    jobId: text(),
    dispatchedAt: timestamp({ withTimezone: true, mode: "date" }),
    /** Percent done, for activities that can tell (snapshots and restores, from bytes processed). */
    progress: integer(),
  },
  (t) => [
    index().on(t.projectId, t.createdAt),
    index().on(t.state, t.priority, t.createdAt),
    index().on(t.environmentId, t.createdAt),
    // The same two orders without cron runs: a cron every minute adds 1,440 rows a day to each
    // environment, which the stream (crons folded) and "did the last deploy fail" would walk
    // past on every read. A query uses these when it says NOT_A_CRON_RUN, word for word.
    index("activities_project_id_created_at_not_cron_index").on(t.projectId, t.createdAt).where(notACronRun(t.type)),
    index("activities_environment_id_created_at_not_cron_index").on(t.environmentId, t.createdAt).where(notACronRun(t.type)),
  ],
);

/**
 * "Not a cron run", as the activities' partial indexes above say it: PostgreSQL uses those
 * indexes only for a query whose condition implies their predicate, so it is written the same.
 */
export const NOT_A_CRON_RUN = notACronRun(activities.type);

/** Every environment an activity occupies (a merge occupies the child and the parent). */
export const activityEnvironments = pgTable(
  "activity_environments",
  {
    activityId: text()
      .notNull()
      .references(() => activities.id, { onDelete: "cascade" }),
    environmentId: text()
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.activityId, t.environmentId] }), index().on(t.environmentId)],
);

/**
 * The log of an activity, its lines numbered from 1, stored in chunks: one row per batch
 * the worker wrote (up to 500 lines), so a 100,000-line log is a few hundred rows.
 * The JSON array holds [number, epoch ms, stream ("o" | "e" | "s"), section, text] per line.
 */
export const activityLogChunks = pgTable(
  "activity_log_chunks",
  {
    activityId: text()
      .notNull()
      .references(() => activities.id, { onDelete: "cascade" }),
    firstSeq: integer().notNull(),
    lastSeq: integer().notNull(),
    /** The JSON, deflated (written by workers, compressed off the main thread). */
    packed: bytea(),
    /** The JSON as text (lines appended in SQL, and logs from before chunks). */
    lines: text(),
  },
  (t) => [primaryKey({ columns: [t.activityId, t.firstSeq] }), index().on(t.activityId, t.lastSeq)],
);

/** A successful deploy of an environment: what ran and with which configuration. */
export const deployments = pgTable(
  "deployments",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    environmentId: text()
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    activityId: text().references(() => activities.id, { onDelete: "set null" }),
    commit: text().notNull(),
    treeId: text().notNull(),
    /** The configuration it ran with (lib/config's ProjectConfig): read through latestDeployment, which checks it. */
    config: jsonb().$type<Record<string, unknown>>().notNull(),
    buildReused: boolean().notNull(),
    /** Digest of the effective variables this deploy ran with (null before variables existed): a difference means "redeploy to apply". */
    variablesDigest: text(),
    /** A fingerprint of the router settings this deploy kept (differs from the current ones → "redeploy to apply"). */
    routerDigest: text(),
    buildMs: integer().notNull(),
    deployMs: integer().notNull(),
    /** The build folder it was copied from (under the project's builds): what a Roll back to it reuses (null: from before it was kept). */
    buildKey: text(),
    /** A Roll back: the earlier deployment whose build it switched to. */
    rollbackOf: text(),
    createdAt: createdAt(),
  },
  (t) => [index().on(t.environmentId, t.createdAt), index().on(t.activityId)],
);

/**
 * Each time a cron of an environment was due, once (the unique key: two schedulers cannot both
 * start it): started (its activity), skipped (the previous run still ran or waited) or missed
 * (the scheduler was not running: one row for a run of them, `missedCount` long, up to
 * `lastScheduledFor`). Run now adds no row here; its activity is the record.
 */
export const cronRuns = pgTable(
  "cron_runs",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    environmentId: text()
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    cron: text().notNull(),
    scheduledFor: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    /** A missed row's last time (null: one time). */
    lastScheduledFor: timestamp({ withTimezone: true, mode: "date" }),
    outcome: text().$type<"started" | "skipped" | "missed">().notNull(),
    missedCount: integer().notNull().default(1),
    /** Why it was skipped or missed, in a sentence. */
    reason: text(),
    activityId: text().references(() => activities.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex().on(t.environmentId, t.cron, t.scheduledFor), index().on(t.environmentId, t.createdAt)],
);

/**
 * Where each cron of an environment stands, for the console to show without reading its history:
 * its last run (scheduled or Run now), how many failed in a row, and the last miss or skip since
 * it last succeeded.
 */
export const cronStates = pgTable(
  "cron_states",
  {
    environmentId: text()
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    cron: text().notNull(),
    lastActivityId: text().references(() => activities.id, { onDelete: "set null" }),
    lastResult: text().$type<"success" | "failure">(),
    lastStartedAt: timestamp({ withTimezone: true, mode: "date" }),
    lastDurationMs: integer(),
    failuresInRow: integer().notNull().default(0),
    /** The last time it was missed or skipped since it last succeeded (null: none). */
    missedAt: timestamp({ withTimezone: true, mode: "date" }),
    missedReason: text(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.cron] })],
);

export const snapshotStateEnum = pgEnum("snapshot_state", ["in_progress", "complete", "failed"]);

/**
 * A snapshot (Backup) of an environment's data: DATA_DIR/snapshots/<project>/<id>/ holds
 * data.tar and manifest.json (every file's size and sha256). Only `complete` ones are
 * restorable; an archive is written under a temporary name and renamed when whole.
 */
export const snapshots = pgTable(
  "snapshots",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: text().references(() => environments.id, { onDelete: "set null" }),
    environmentName: text().notNull(),
    activityId: text().references(() => activities.id, { onDelete: "set null" }),
    state: snapshotStateEnum().notNull().default("in_progress"),
    /** consistent: the environment takes no other activity meanwhile; live: it may. */
    consistency: text().$type<"consistent" | "live">().notNull(),
    /** A consistent (safe) snapshot: how long its running services were stopped while their files were copied (null: none ran, or live). */
    servicePauseMs: integer(),
    deployedCommit: text(),
    sizeBytes: bigint({ mode: "number" }),
    fileCount: integer(),
    createdBy: text().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    completedAt: timestamp({ withTimezone: true, mode: "date" }),
    expiresAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    /** Taken by the schedule, for this due time (null: asked for by a member). One per environment and time: two workers never take it twice. */
    scheduledFor: timestamp({ withTimezone: true, mode: "date" }),
    /** The build the environment served when it was taken (its deployment's build folder; null: none, or from before builds were recorded). */
    buildKey: text(),
  },
  (t) => [index().on(t.environmentId, t.createdAt), index().on(t.expiresAt), uniqueIndex().on(t.environmentId, t.scheduledFor)],
);

export type Environment = typeof environments.$inferSelect;
export type EnvironmentType = (typeof environmentTypeEnum.enumValues)[number];
export type EnvironmentStatus = (typeof environmentStatusEnum.enumValues)[number];
export type Activity = typeof activities.$inferSelect;
export type Deployment = typeof deployments.$inferSelect;
export type Snapshot = typeof snapshots.$inferSelect;

/**
 * Project variables (environmentId null) and environment variables. A sensitive value is stored
 * sealed (AES-256-GCM, lib/secrets/secret-box.ts) and never leaves the server once saved.
 * One name per level: unique per project among project variables, per environment among its own.
 */
export const variables = pgTable(
  "variables",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: text().references(() => environments.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** The value, or for a sensitive variable its sealed form. */
    value: text().notNull(),
    isJson: boolean().notNull().default(false),
    isSensitive: boolean().notNull().default(false),
    visibleBuild: boolean().notNull().default(true),
    visibleRuntime: boolean().notNull().default(true),
    inheritable: boolean().notNull().default(true),
    enabled: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [
    uniqueIndex("variables_project_name").on(t.projectId, t.name).where(sql`${t.environmentId} is null`),
    uniqueIndex("variables_environment_name").on(t.environmentId, t.name).where(sql`${t.environmentId} is not null`),
  ],
);

/**
 * Each running service's credentials per environment (services.yaml, lib/runtime/services):
 * generated at its first deploy, sealed like a sensitive variable (never shown, never logged),
 * applied by the instance at every start. A Branch gets its own: copied data answers only to them.
 */
export const serviceCredentials = pgTable(
  "service_credentials",
  {
    environmentId: text()
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** The service's id in services.yaml. */
    serviceId: text().notNull(),
    /** The engine they were made for (mariadb, redis, postgresql): a service whose engine changes gets new ones. */
    engine: text().notNull(),
    /** The credentials (JSON), sealed with the secrets key. */
    sealed: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.serviceId] })],
);

/** API tokens for the git remote (and scripts): shown once, stored as a SHA-256 hash. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    tokenHash: text().notNull().unique(),
    /** The first characters, so a user can tell tokens apart. */
    prefix: text().notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp({ withTimezone: true, mode: "date" }),
    revokedAt: timestamp({ withTimezone: true, mode: "date" }),
  },
  (t) => [index().on(t.userId)],
);

export type ApiToken = typeof apiTokens.$inferSelect;
export type Variable = typeof variables.$inferSelect;

/** A message an environment's code sent to its SMTP endpoint (its Mailbox), kept as received. */
export const mails = pgTable(
  "mails",
  {
    id: text()
      .primaryKey()
      .$defaultFn(() => crypto.randomUUID()),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: text()
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** The activity whose hook sent it. */
    activityId: text(),
    /** The SMTP envelope. */
    mailFrom: text().notNull(),
    rcptTo: jsonb().$type<string[]>().notNull(),
    /** From the message's headers (for the list). */
    subject: text().notNull(),
    size: integer().notNull(),
    raw: bytea().notNull(),
    receivedAt: createdAt(),
  },
  (t) => [index().on(t.environmentId, t.receivedAt)],
);

export type Mail = typeof mails.$inferSelect;
