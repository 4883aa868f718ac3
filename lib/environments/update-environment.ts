import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments } from "@/db/schema";
import { notifyProjectChange } from "@/lib/activities/notify";
import { busyEnvironments, lockProject } from "@/lib/activities/queue";
import type { SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { getEnvironmentByName, listEnvironments } from "./queries";
import { allowedActions, possibleParents } from "./rules";

/** Edit an environment's title and parent: admins only, not Production, never a cycle. */
export async function updateEnvironment(db: Db, user: SessionUser, projectId: string, name: string, input: { title: string; parent: string }): Promise<void> {
  const access = await requireProjectAccess(db, user, projectId);
  await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const env = await getEnvironmentByName(tx, projectId, name);
    if (!env) throw new DomainError("not_found", `There is no environment “${String(name).slice(0, 40)}” in this project.`);
    const all = await listEnvironments(tx, projectId);
    const permission = allowedActions(env, { plan: access.project.plan, environments: all, busy: await busyEnvironments(tx, projectId), roles: access.environmentRoles }).edit;
    if (!permission.allowed) throw new DomainError("forbidden", permission.reason);
    let parentId = env.parentId;
    if (env.parentId !== null || input.parent) {
      const parent = possibleParents(env, all).find((e) => e.name === input.parent);
      if (!parent) {
        const msg = all.some((e) => e.name === input.parent)
          ? `${input.parent} cannot be the parent of ${env.name}: it is ${input.parent === env.name ? "the environment itself" : "one of its descendants"}.`
          : "Choose a parent from the list.";
        throw new DomainError("invalid", msg, { parent: [msg] });
      }
      parentId = parent.id;
    }
    await tx.update(environments).set({ title: input.title, parentId, updatedAt: new Date() }).where(eq(environments.id, env.id));
    await notifyProjectChange(tx, projectId, "environment", env.type);
  });
}
