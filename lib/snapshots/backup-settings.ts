/**
 * A project's backup settings (its Settings page, project admins): automated backups per
 * environment type and how many manual snapshots each environment keeps; and the storage its
 * backups use, per environment and in all.
 */
import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { projects, snapshots, type Project } from "@/db/schema";
import { notifyProjectChange } from "@/lib/activities/notify";
import { canManageProject, type SessionUser } from "@/lib/auth/permissions";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { DomainError } from "@/lib/errors";
import { backupSchedulesSchema, DEFAULT_BACKUP_SCHEDULES, type BackupSchedules } from "./backup-schedule";

/** Manual snapshots an environment keeps by its plan when the project says nothing: Starter 2, Pro no limit. */
export const PLAN_MANUAL_BACKUPS: Record<Project["plan"], number | null> = { starter: 2, pro: null };

/** A project's schedules as stored (checked; a value that does not match is the defaults). */
export function schedulesOf(stored: unknown): BackupSchedules {
  if (stored === null || stored === undefined) return DEFAULT_BACKUP_SCHEDULES;
  const checked = backupSchedulesSchema.safeParse(stored);
  return checked.success ? checked.data : DEFAULT_BACKUP_SCHEDULES;
}

/** How many manual snapshots an environment of `project` keeps (null: no limit). */
export function manualBackupsKept(project: Pick<Project, "plan" | "backupSchedules">): number | null {
  return schedulesOf(project.backupSchedules).manualCount ?? PLAN_MANUAL_BACKUPS[project.plan];
}

/** Saves the project's backup settings (project admins); bad input is refused whole, with what to change. */
export async function setBackupSchedules(db: Db, user: SessionUser, projectId: string, input: BackupSchedules): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  if (!canManageProject(access)) throw new DomainError("forbidden", "Only a project admin can change the backup schedules.");
  const checked = backupSchedulesSchema.safeParse(input);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new DomainError("invalid", issue.message, { [String(issue.path[0] ?? "schedules")]: [issue.message] });
  }
  await db.update(projects).set({ backupSchedules: checked.data as unknown as Record<string, unknown>, updatedAt: new Date() }).where(eq(projects.id, access.project.id));
  await notifyProjectChange(db, access.project.id, "project");
}

/** The data bytes of the project's complete backups, per environment (by name) and in all, and how many of them are automated. */
export async function backupStorage(db: Db, projectId: string): Promise<{ total: number; environments: { name: string; bytes: number; count: number; automated: number }[] }> {
  const rows = await db
    .select({
      name: snapshots.environmentName,
      bytes: sql<string>`coalesce(sum(${snapshots.sizeBytes}), 0)`,
      count: sql<number>`count(*)::int`,
      automated: sql<number>`count(${snapshots.scheduledFor})::int`,
    })
    .from(snapshots)
    .where(and(eq(snapshots.projectId, projectId), eq(snapshots.state, "complete")))
    .groupBy(snapshots.environmentName)
    .orderBy(snapshots.environmentName);
  const list = rows.map((r) => ({ name: r.name, bytes: Number(r.bytes), count: r.count, automated: r.automated }));
  return { total: list.reduce((n, r) => n + r.bytes, 0), environments: list };
}
