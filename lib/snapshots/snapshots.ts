import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { and, asc, desc, eq, inArray, lt, ne } from "drizzle-orm";
import type { Db, Executor } from "@/db/client";
import { activities, environments, snapshots, users, type Activity, type Environment, type Snapshot } from "@/db/schema";
import { busyEnvironments, enqueueActivity, lockProject } from "@/lib/activities/queue";
import { notifyProjectChange } from "@/lib/activities/notify";
import { notifyWorkers } from "@/lib/activities/wake";
import { snapshotActivityKinds } from "./activity-kinds";
import { canSeeEnvironmentType, hasRole, type ProjectAccess, type SessionUser } from "@/lib/auth/permissions";
import { dataPaths, removeTree } from "@/lib/paths";
import { DomainError } from "@/lib/errors";
import { getEnvironmentByName, latestDeployment, listRuleEnvironmentsFor } from "@/lib/environments/queries";
import { allowedActions, environmentNameProblem, planUsage } from "@/lib/environments/rules";
import { inheritedSettings } from "@/lib/environments/settings";
import { branchHead, isValidBranchName } from "@/lib/git/repository";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { manualBackupsKept } from "./backup-settings";
import { tarOfFiles } from "@/lib/runtime/tar-stream";

export const SNAPSHOT_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function snapshotsRoot(projectId: string): string {
  return dataPaths.snapshots(projectId);
}

/** A snapshot's directory. Ids come from the database, and are checked anyway: nothing can point outside. */
export function snapshotDir(projectId: string, snapshotId: string): string {
  if (!ID.test(snapshotId)) throw new DomainError("not_found", "This snapshot does not exist.");
  return path.join(snapshotsRoot(projectId), snapshotId);
}

export function snapshotTempDir(projectId: string, snapshotId: string): string {
  return `${snapshotDir(projectId, snapshotId)}.partial`;
}

export interface SnapshotView {
  id: string;
  environmentName: string;
  state: Snapshot["state"];
  consistency: Snapshot["consistency"];
  /** Safe snapshots: how long the running services were stopped while their files were copied. */
  servicePauseMs: number | null;
  deployedCommit: string | null;
  sizeBytes: number | null;
  fileCount: number | null;
  createdBy: string | null;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string;
  activityId: string | null;
  /** Percent done while its activity runs. */
  progress: number | null;
  /** Taken by the project's schedule (its due time), not asked for by a member. */
  scheduledFor: string | null;
  /** The build the environment served when it was taken. */
  buildKey: string | null;
  automated: boolean;
}

function requireAdmin(access: ProjectAccess, env: Environment, what: string) {
  if (!canSeeEnvironmentType(access, env.type)) throw new DomainError("not_found", "This environment does not exist.");
  if (!hasRole(access.environmentRoles[env.type], "admin")) throw new DomainError("forbidden", `${what} needs the admin role on ${env.title}'s environment type.`);
}

/** The environment's snapshots, newest first (not the failed ones older than a day). */
export async function listSnapshots(db: Db, access: ProjectAccess, env: Environment): Promise<SnapshotView[]> {
  if (!canSeeEnvironmentType(access, env.type)) return [];
  const rows = await db
    .select({ s: snapshots, userName: users.name, userEmail: users.email, progress: activities.progress })
    .from(snapshots)
    .leftJoin(users, eq(users.id, snapshots.createdBy))
    .leftJoin(activities, eq(activities.id, snapshots.activityId))
    .where(and(eq(snapshots.projectId, access.project.id), eq(snapshots.environmentId, env.id)))
    .orderBy(desc(snapshots.createdAt))
    .limit(50);
  return rows
    .filter((r) => r.s.state !== "failed" || Date.now() - r.s.createdAt.getTime() < 86_400_000)
    .map(({ s, userName, userEmail, progress }) => ({
      id: s.id,
      environmentName: s.environmentName,
      state: s.state,
      consistency: s.consistency,
      servicePauseMs: s.servicePauseMs,
      deployedCommit: s.deployedCommit,
      sizeBytes: s.sizeBytes,
      fileCount: s.fileCount,
      createdBy: userName || userEmail || null,
      createdAt: s.createdAt.toISOString(),
      completedAt: s.completedAt?.toISOString() ?? null,
      expiresAt: s.expiresAt.toISOString(),
      activityId: s.activityId,
      progress: s.state === "in_progress" ? (progress ?? 0) : null,
      scheduledFor: s.scheduledFor?.toISOString() ?? null,
      buildKey: s.buildKey,
      automated: s.scheduledFor !== null,
    }));
}

/**
 * What creating one more manual snapshot would do: nothing special, or replace the oldest manual
 * one (the project keeps `limit` per environment: Settings, or the plan's); automated ones do not
 * count (`listed`: what listSnapshots just gave, not read again).
 */
export async function snapshotLimit(db: Executor, access: ProjectAccess, env: Environment, listed?: readonly SnapshotView[]): Promise<{ replaces: SnapshotView | null; limit: number | null }> {
  const limit = manualBackupsKept(access.project);
  if (limit === null) return { replaces: null, limit };
  const kept = (listed ?? (await listSnapshots(db, access, env))).filter((s) => s.state !== "failed" && !s.automated);
  return { replaces: limit > 0 && kept.length >= limit ? kept.at(-1)! : null, limit };
}

/**
 * Records a snapshot and the activity that makes it. Admins on the environment's type,
 * active and deployed environments only. Consistent snapshots occupy the environment (no
 * other activity runs meanwhile); live ones do not. On Starter, beyond two snapshots the
 * oldest is replaced, only when `replaceOldest` says the user agreed.
 */
export async function requestSnapshot(
  db: Db,
  user: SessionUser,
  projectId: string,
  environmentName: string,
  input: { consistency: "consistent" | "live"; replaceOldest: boolean },
): Promise<{ activity: Activity; snapshot: Snapshot }> {
  const access = await requireProjectAccess(db, user, projectId);
  const result = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const env = await getEnvironmentByName(tx, projectId, environmentName);
    if (!env) throw new DomainError("not_found", "This environment does not exist.");
    requireAdmin(access, env, "Creating a snapshot");
    if (env.status !== "active" && env.status !== "dirty") throw new DomainError("conflict", `${env.title} is ${env.status}: only active environments have data to snapshot.`);
    if (!env.deployedCommit) throw new DomainError("conflict", `${env.title} has not been deployed yet: there is no data to snapshot.`);
    const { replaces, limit } = await snapshotLimit(tx, access, env);
    if (limit === 0) throw new DomainError("conflict", "This project keeps no manual snapshots (its Settings say 0): automated backups only.");
    if (replaces && !input.replaceOldest) {
      throw new DomainError(
        "conflict",
        `This project keeps ${limit} manual snapshots per environment. Creating this one deletes the oldest (${replaces.createdAt.slice(0, 16).replace("T", " ")} UTC): confirm to go on.`,
        { replaceOldest: ["Confirm that the oldest snapshot may be deleted."] },
      );
    }
    const recorded = await recordBackup(tx, env, {
      consistency: input.consistency,
      description: `${input.consistency === "consistent" ? "Snapshot" : "Live snapshot"} of ${env.name}`,
      deployedCommit: env.deployedCommit,
      buildKey: (await latestDeployment(tx, env.id))?.buildKey ?? null,
      createdBy: user.id,
      expiresAt: new Date(Date.now() + SNAPSHOT_TTL_MS),
      replaces: replaces?.id ?? null,
    });
    return recorded!;
  });
  notifyWorkers();
  return result;
}

export interface BackupToRecord {
  consistency: "consistent" | "live";
  description: string;
  deployedCommit: string | null;
  buildKey: string | null;
  /** null: taken by the schedule. */
  createdBy: string | null;
  expiresAt: Date;
  /** A manual backup that replaces the oldest one, deleted once this one is complete. */
  replaces: string | null;
  /** Taken by the schedule for this due time: one per environment and time (null when it was taken already). */
  scheduledFor?: Date;
  /** An uploaded backup (import-backup.ts), whose files wait in its staging folder. */
  imported?: { filename: string; files: number; bytes: number; from: string | null; createdAt: string | null; commitKnown: boolean };
  /** Its id, when files were put in its place before it is recorded (an import). */
  snapshotId?: string;
}

/**
 * Records a backup of `env` and the activity that makes it, in the caller's transaction (under
 * the project's lock): the snapshot row, its `environment.backup` activity, and the link between
 * them. A safe backup made from the environment's data occupies it (no other activity runs
 * meanwhile); a live or imported one does not. null when a scheduled one's due time was taken.
 */
export async function recordBackup(tx: Executor, env: Environment, backup: BackupToRecord): Promise<{ activity: Activity; snapshot: Snapshot } | null> {
  const snapshotId = backup.snapshotId ?? crypto.randomUUID();
  const [row] = await tx
    .insert(snapshots)
    .values({
      id: snapshotId,
      projectId: env.projectId,
      environmentId: env.id,
      environmentName: env.name,
      consistency: backup.consistency,
      deployedCommit: backup.deployedCommit,
      buildKey: backup.buildKey,
      createdBy: backup.createdBy,
      expiresAt: backup.expiresAt,
      scheduledFor: backup.scheduledFor ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) return null;
  const activity = await enqueueActivity(snapshotActivityKinds, tx, {
    projectId: env.projectId,
    environmentId: env.id,
    environmentName: env.name,
    occupies: backup.consistency === "consistent" && !backup.imported ? [env.id] : [],
    type: "environment.backup",
    description: backup.description,
    parameters: { snapshotId, replaces: backup.replaces, ...(backup.imported ? { imported: backup.imported } : {}) },
    createdBy: backup.createdBy,
    isProduction: env.type === "production",
  });
  const [snapshot] = await tx.update(snapshots).set({ activityId: activity.id }).where(eq(snapshots.id, snapshotId)).returning();
  return { activity, snapshot: snapshot! };
}

/** Restores a snapshot; `confirmation` must be the environment's name (its data is replaced). */
export async function requestRestore(db: Db, user: SessionUser, projectId: string, snapshotId: string, confirmation: string): Promise<Activity> {
  const access = await requireProjectAccess(db, user, projectId);
  if (typeof snapshotId !== "string" || !ID.test(snapshotId)) throw new DomainError("not_found", "This snapshot does not exist.");
  const activity = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const [snapshot] = await tx.select().from(snapshots).where(and(eq(snapshots.id, snapshotId), eq(snapshots.projectId, projectId)));
    const [env] = snapshot?.environmentId ? await tx.select().from(environments).where(eq(environments.id, snapshot.environmentId)) : [];
    if (!snapshot || !env || !canSeeEnvironmentType(access, env.type)) throw new DomainError("not_found", "This snapshot does not exist.");
    requireAdmin(access, env, "Restoring a snapshot");
    if (snapshot.state !== "complete") throw new DomainError("conflict", "Only complete snapshots can be restored.");
    if (snapshot.expiresAt.getTime() <= Date.now()) throw new DomainError("conflict", "This snapshot has expired.");
    if (env.status !== "active") throw new DomainError("conflict", `${env.title} is ${env.status}: activate it first, then restore.`);
    if (typeof confirmation !== "string" || confirmation.trim() !== env.name) {
      const message = `Type “${env.name}” to confirm: every service volume and mount of ${env.name} is replaced.`;
      throw new DomainError("invalid", message, { confirmation: [message] });
    }
    return enqueueActivity(snapshotActivityKinds, tx, {
      projectId,
      environmentId: env.id,
      environmentName: env.name,
      occupies: [env.id],
      type: "environment.restore",
      description: `Restore ${env.name} from the snapshot of ${snapshot.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
      parameters: { snapshotId: snapshot.id },
      createdBy: user.id,
      isProduction: env.type === "production",
    });
  });
  notifyWorkers();
  return activity;
}

export interface RestoreIntoNew {
  /** The new environment's name (a new git branch). */
  name: string;
  title?: string;
  /** The environment it is a child of (its settings are inherited; Branch's rules apply to it). */
  parent: string;
  /** true: the snapshot's commit and data; false: the parent's code, the snapshot's data. */
  code: boolean;
}

/**
 * Records a restore of a complete snapshot into a new environment, a child of `parent`: nothing
 * of the snapshot's own environment (or any other) is touched. Admin of the snapshot's
 * environment type, and allowed to Branch from `parent`; a name already taken (an environment or
 * a git branch), or a plan with no free active environment, is refused with nothing written.
 */
export async function requestRestoreInto(db: Db, user: SessionUser, projectId: string, snapshotId: string, input: RestoreIntoNew): Promise<{ activity: Activity; environment: string }> {
  const access = await requireProjectAccess(db, user, projectId);
  if (typeof snapshotId !== "string" || !ID.test(snapshotId)) throw new DomainError("not_found", "This snapshot does not exist.");
  const name = String(input.name ?? "").trim();
  const problem = environmentNameProblem(name, []);
  if (problem) throw new DomainError("invalid", problem, { name: [problem] });
  const [validBranch, existingBranch] = await Promise.all([isValidBranchName(name), branchHead(projectId, name)]);
  if (!validBranch) throw new DomainError("invalid", `“${name}” is not a valid git branch name.`, { name: [`“${name}” is not a valid git branch name.`] });
  if (existingBranch) {
    const msg = `“${name}” is already a git branch of this project. Choose another name, or restore in place.`;
    throw new DomainError("conflict", msg, { name: [msg] });
  }
  const result = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const [snapshot] = await tx.select().from(snapshots).where(and(eq(snapshots.id, snapshotId), eq(snapshots.projectId, projectId)));
    const [source] = snapshot?.environmentId ? await tx.select().from(environments).where(eq(environments.id, snapshot.environmentId)) : [];
    if (!snapshot || !source || !canSeeEnvironmentType(access, source.type)) throw new DomainError("not_found", "This snapshot does not exist.");
    requireAdmin(access, source, "Restoring a snapshot");
    if (snapshot.state !== "complete") throw new DomainError("conflict", "Only complete snapshots can be restored.");
    if (snapshot.expiresAt.getTime() <= Date.now()) throw new DomainError("conflict", "This snapshot has expired.");
    const parent = await getEnvironmentByName(tx, projectId, String(input.parent ?? ""));
    if (!parent || !canSeeEnvironmentType(access, parent.type)) {
      const msg = "Choose the environment the new one is a child of.";
      throw new DomainError("invalid", msg, { parent: [msg] });
    }
    const all = await listRuleEnvironmentsFor(tx, projectId, parent);
    const busy = await busyEnvironments(tx, projectId);
    const permission = allowedActions(parent, { plan: access.project.plan, environments: all, busy, roles: access.environmentRoles }).branch;
    if (!permission.allowed) throw new DomainError("forbidden", permission.reason.replace(/^Branch/, "Restoring into a new environment"));
    if (await getEnvironmentByName(tx, projectId, name)) {
      const msg = `There is already an environment “${name}”: restoring never replaces one by its name. Choose another name, or restore in place from that environment's page.`;
      throw new DomainError("conflict", msg, { name: [msg] });
    }
    const [child] = await tx
      .insert(environments)
      .values({ projectId, name, title: input.title?.trim() || name, parentId: parent.id, type: "development", status: "dirty", ...inheritedSettings(parent) })
      .returning();
    const usage = planUsage(access.project.plan, [...all, child!]);
    if (usage.used > usage.limit) {
      throw new DomainError("conflict", `The ${access.project.plan === "starter" ? "Starter" : "Pro"} plan allows ${usage.limit} active ${access.project.plan === "pro" ? "Integration " : ""}environments (${usage.names.filter((n) => n !== name).join(", ")}): deactivate one first, or restore in place.`);
    }
    const activity = await enqueueActivity(snapshotActivityKinds, tx, {
      projectId,
      environmentId: child!.id,
      environmentName: child!.name,
      occupies: [child!.id],
      type: "environment.restore.new",
      description: `Restore the snapshot of ${source.name} from ${snapshot.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC into a new environment ${name}${input.code ? "" : " (data only)"}`,
      parameters: { snapshotId: snapshot.id, parent: parent.name, code: input.code },
      createdBy: user.id,
    });
    return { activity, environment: child!.name };
  });
  notifyWorkers();
  return result;
}

/** Deletes a snapshot (admin), unless an activity is writing or reading it right now. */
export async function deleteSnapshot(db: Db, user: SessionUser, projectId: string, snapshotId: string): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  if (typeof snapshotId !== "string" || !ID.test(snapshotId)) throw new DomainError("not_found", "This snapshot does not exist.");
  await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const [snapshot] = await tx.select().from(snapshots).where(and(eq(snapshots.id, snapshotId), eq(snapshots.projectId, projectId)));
    const [env] = snapshot?.environmentId ? await tx.select().from(environments).where(eq(environments.id, snapshot.environmentId)) : [];
    if (!snapshot) throw new DomainError("not_found", "This snapshot does not exist.");
    if (env) requireAdmin(access, env, "Deleting a snapshot");
    else if (access.role !== "admin") throw new DomainError("forbidden", "Deleting a snapshot needs the project admin role.");
    if (snapshot.state === "in_progress") throw new DomainError("conflict", "This snapshot is still being made: wait for it to finish (or cancel its activity).");
    if ((await snapshotsBeingRestored(tx, projectId)).has(snapshotId)) throw new DomainError("conflict", "A restore from this snapshot is waiting or running: delete it once that restore has ended.");
    await tx.delete(snapshots).where(eq(snapshots.id, snapshotId));
    await notifyProjectChange(tx, projectId, "snapshots", env?.type ?? null);
  });
  await removeSnapshotFiles(projectId, snapshotId);
}

/** The snapshots that a restore waiting or running in the project reads: none is deleted under it. */
export async function snapshotsBeingRestored(tx: Executor, projectId: string): Promise<Set<string>> {
  const rows = await tx
    .select({ parameters: activities.parameters })
    .from(activities)
    .where(and(eq(activities.projectId, projectId), inArray(activities.type, ["environment.restore", "environment.restore.new"]), inArray(activities.state, ["pending", "in_progress"])));
  return new Set(rows.map((r) => String(r.parameters.snapshotId ?? "")));
}

/**
 * Deletes a snapshot for the workers (expiry, retention, a replaced one), unless a restore waits
 * for it or reads it now: then it is kept (false), and a later pass deletes it. Under the
 * project's lock, as restores are queued, so none starts between the check and the deletion.
 */
export async function deleteSnapshotUnlessRestoring(db: Db, projectId: string, snapshotId: string): Promise<boolean> {
  const deleted = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    if ((await snapshotsBeingRestored(tx, projectId)).has(snapshotId)) return false;
    const [env] = await tx.delete(snapshots).where(eq(snapshots.id, snapshotId)).returning({ environmentId: snapshots.environmentId });
    const [of] = env?.environmentId ? await tx.select({ type: environments.type }).from(environments).where(eq(environments.id, env.environmentId)) : [];
    await notifyProjectChange(tx, projectId, "snapshots", of?.type ?? null);
    return true;
  });
  if (deleted) await removeSnapshotFiles(projectId, snapshotId);
  return deleted;
}

export async function removeSnapshotFiles(projectId: string, snapshotId: string): Promise<void> {
  await removeTree(snapshotDir(projectId, snapshotId));
  await removeTree(snapshotTempDir(projectId, snapshotId));
}

/** Deletes expired snapshots (rows and files); run on a schedule. Returns how many. */
export async function pruneExpiredSnapshots(db: Db, now = new Date()): Promise<number> {
  const expired = await db
    .select({ id: snapshots.id, projectId: snapshots.projectId })
    .from(snapshots)
    .where(and(lt(snapshots.expiresAt, now), ne(snapshots.state, "in_progress")))
    .orderBy(asc(snapshots.expiresAt));
  let n = 0;
  for (const s of expired) if (await deleteSnapshotUnlessRestoring(db, s.projectId, s.id)) n++;
  return n;
}

/**
 * A complete snapshot as one archive to download: a tar of its manifest (every file's size and
 * sha256) and its data archive, streamed from the files as it is read (tar-stream.ts: the server
 * holds 4 MiB of it at a time; the client going away cancels it and closes the file). Admins of the environment's type; a snapshot of another
 * environment, not complete, or expired is refused with a sentence.
 */
export async function openSnapshotDownload(db: Db, access: ProjectAccess, env: Environment, snapshotId: string): Promise<{ body: ReadableStream<Uint8Array>; filename: string }> {
  requireAdmin(access, env, "Downloading a backup");
  const [snapshot] = ID.test(snapshotId) ? await db.select().from(snapshots).where(and(eq(snapshots.id, snapshotId), eq(snapshots.environmentId, env.id))) : [];
  if (!snapshot) throw new DomainError("not_found", "This snapshot does not exist.");
  if (snapshot.state !== "complete") throw new DomainError("conflict", "Only complete snapshots can be downloaded.");
  if (snapshot.expiresAt.getTime() <= Date.now()) throw new DomainError("conflict", "This snapshot has expired.");
  const dir = snapshotDir(access.project.id, snapshot.id);
  // (Deleted or pruned meanwhile: said, rather than a download without its data.)
  if (!["manifest.json", "data.tar"].every((f) => fs.lstatSync(path.join(dir, f), { throwIfNoEntry: false })?.isFile())) throw new DomainError("conflict", "This snapshot's files are gone (it was deleted meanwhile).");
  const stamp = snapshot.createdAt.toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  return { body: tarOfFiles(dir, ["manifest.json", "data.tar"]), filename: `${access.project.id}-${env.name}-${stamp}.backup.tar` };
}
