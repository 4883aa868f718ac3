import "server-only";
import { and, eq, ne } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments, projects, type Project } from "@/db/schema";
import { canManageProject, type SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { notifyProjectChange } from "@/lib/activities/notify";
import { deleteProjectPaths } from "@/lib/paths";
import { stopProjectEnvironments } from "@/lib/runtime/deploy";
import { requireProjectAccess } from "@/lib/auth/project-access";

export async function renameProject(db: Db, user: SessionUser, projectId: string, title: string): Promise<Project> {
  const access = await requireProjectAccess(db, user, projectId);
  if (!canManageProject(access)) {
    throw new DomainError("forbidden", "Only a project admin can rename this project.");
  }
  const [updated] = await db
    .update(projects)
    .set({ title, updatedAt: new Date() })
    .where(eq(projects.id, access.project.id))
    .returning();
  if (!updated) throw new DomainError("not_found", "This project no longer exists.");
  await notifyProjectChange(db, updated.id, "project");
  return updated;
}

/** Deletes a project and (by cascade) everything it owns. The user types the id to confirm. */
export async function deleteProject(db: Db, user: SessionUser, projectId: string, confirmation: string): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  if (!canManageProject(access)) {
    throw new DomainError("forbidden", "Only a project admin can delete this project.");
  }
  if (confirmation.trim() !== access.project.id) {
    throw new DomainError("invalid", "Type the project id exactly to confirm.", {
      confirmation: [`Type “${access.project.id}” to confirm the deletion.`],
    });
  }
  await db.delete(projects).where(eq(projects.id, access.project.id));
  await notifyProjectChange(db, access.project.id, "deleted");
  // Files last: a failure above leaves everything; a failure here leaves only orphaned files.
  await stopProjectEnvironments(access.project.id);
  await deleteProjectPaths(access.project.id);
}

/**
 * The environment a pushed new branch hangs under (project admins). Null restores the plan's
 * default: Integration on Pro, the root on Starter. The environment must exist.
 */
export async function setDefaultBranchParent(db: Db, user: SessionUser, projectId: string, parent: string | null): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  if (!canManageProject(access)) throw new DomainError("forbidden", "Only a project admin can change where pushed branches go.");
  if (parent) {
    const [env] = await db
      .select({ name: environments.name })
      .from(environments)
      .where(and(eq(environments.projectId, access.project.id), eq(environments.name, parent), ne(environments.status, "deleting")))
      .limit(1);
    if (!env) throw new DomainError("invalid", "Choose an environment of this project.", { parent: [`There is no environment “${parent.slice(0, 40)}” in this project.`] });
  }
  await db.update(projects).set({ defaultBranchParent: parent, updatedAt: new Date() }).where(eq(projects.id, access.project.id));
  await notifyProjectChange(db, access.project.id, "project");
}

/** After how many days without a deploy a non-production environment is paused (0: never). Project admins only. */
export async function setAutoPauseDays(db: Db, user: SessionUser, projectId: string, days: number): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  if (!canManageProject(access)) throw new DomainError("forbidden", "Only a project admin can change when idle environments are paused.");
  await db.update(projects).set({ autoPauseDays: days, updatedAt: new Date() }).where(eq(projects.id, access.project.id));
  await notifyProjectChange(db, access.project.id, "project");
}
