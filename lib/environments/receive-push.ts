import "server-only";
import type { Db } from "@/db/client";
import { environments, type User } from "@/db/schema";
import { enqueueActivity, lockProject, recordDoneActivity, type Tx } from "@/lib/activities/queue";
import { notifyWorkers } from "@/lib/activities/wake";
import { hasRole, type ProjectAccess } from "@/lib/auth/permissions";
import { ZERO_SHA, type RefUpdate } from "@/lib/git/push-gate";
import { branchHead } from "@/lib/git/repository";
import { environmentActivityKinds } from "./activity-kinds";
import { listEnvironments } from "./queries";
import { ENVIRONMENT_NAME_PATTERN, typeLabel } from "./rules";

/**
 * The refs a member may not fetch or see: the branches of environments whose type they
 * have no access to (and HEAD, when that hides the root branch). git leaves them out of
 * what it advertises and refuses to send or update them by name.
 */
export async function gitHiddenRefs(db: Db, access: ProjectAccess): Promise<string[]> {
  const hidden: string[] = [];
  for (const env of await listEnvironments(db, access.project.id)) {
    if (hasRole(access.environmentRoles[env.type], "viewer")) continue;
    hidden.push(`refs/heads/${env.name}`);
    if (env.name === "master") hidden.push("HEAD");
  }
  return hidden;
}

/** Why this push may not happen, or null: asked by the pre-receive hook with exactly the updates git is about to apply. */
export async function pushProblem(db: Db, access: ProjectAccess, updates: RefUpdate[]): Promise<string | null> {
  const envs = new Map((await listEnvironments(db, access.project.id)).map((e) => [e.name, e]));
  for (const u of updates) {
    if (!u.ref.startsWith("refs/heads/")) return `Only branches can be pushed (not ${u.ref}).`;
    const name = u.ref.slice("refs/heads/".length);
    const env = envs.get(name);
    const type = env?.type ?? "development";
    if (!hasRole(access.environmentRoles[type], "contributor")) {
      return `Pushing to ${typeLabel(type)} environments needs the contributor role; you are ${access.environmentRoles[type] === "none" ? "without access" : `a ${access.environmentRoles[type]}`}.`;
    }
    if (u.newSha === ZERO_SHA && env) return `${name} has an environment: delete it in the console instead of deleting the branch.`;
    if (!env && u.newSha !== ZERO_SHA && (name.length > 32 || !ENVIRONMENT_NAME_PATTERN.test(name))) {
      return `“${name}” cannot become an environment: use 1–32 lowercase letters, digits and dashes.`;
    }
  }
  return null;
}

/**
 * After git accepted a push: a new branch becomes an inactive environment under the
 * root branch; a push to an active environment deploys it; a push to an inactive one is
 * recorded. Every push is an activity.
 */
export async function recordPush(db: Db, user: User, access: ProjectAccess, updates: RefUpdate[]): Promise<void> {
  const projectId = access.project.id;
  for (const u of updates) {
    const name = u.ref.slice("refs/heads/".length);
    if (u.newSha === ZERO_SHA || (await branchHead(projectId, name)) !== u.newSha) continue; // deleted, or refused by git
    await db.transaction(async (tx) => {
      await lockProject(tx, projectId);
      const all = await listEnvironments(tx, projectId);
      let env = all.find((e) => e.name === name);
      const short = u.newSha.slice(0, 7);
      if (!env) {
        const root = all.find((e) => e.name === "master") ?? all[0];
        [env] = await tx
          .insert(environments)
          .values({ projectId, name, title: name, parentId: root?.id ?? null, type: "development", status: "inactive" })
          .returning();
        await recordDone(tx, env!, `Push created branch ${name} (${short}); the environment is inactive`, u.oldSha, u.newSha);
        return;
      }
      if (env.status === "active") {
        await enqueueActivity(environmentActivityKinds, tx, {
          projectId, environmentId: env.id, environmentName: name, occupies: [env.id], type: "environment.push",
          description: `Push to ${name} (${short})`, parameters: { before: u.oldSha, after: u.newSha }, createdBy: user.id, isProduction: env.type === "production",
        });
      } else {
        await recordDone(tx, env, `Push to ${name} (${short}); not deployed: the environment is ${env.status}`, u.oldSha, u.newSha);
      }
    });
  }
  notifyWorkers();

  /** A push that needs no work is still an activity, recorded as done. */
  async function recordDone(tx: Tx, env: { id: string; name: string }, description: string, before: string, after: string) {
    await recordDoneActivity(environmentActivityKinds, tx, { projectId, environmentId: env.id, environmentName: env.name, type: "environment.push", description, parameters: { before, after }, createdBy: user.id }, `${description}.`);
  }
}
