import "server-only";
import type { Db } from "@/db/client";
import { environments, type Environment, type Project, type User } from "@/db/schema";
import { enqueueActivity, lockProject, recordDoneActivity, type Tx } from "@/lib/activities/queue";
import { notifyWorkers } from "@/lib/activities/wake";
import { hasRole, type ProjectAccess } from "@/lib/auth/permissions";
import { ZERO_SHA, type PushOptions, type RefUpdate } from "@/lib/git/push-gate";
import { DomainError } from "@/lib/errors";
import { parsePushOptions } from "./push-options";
import { commitsBroughtIn, recordActivityCommits } from "./activity-commits";
import { requestEnvironmentAction } from "./request-action";
import { branchHead } from "@/lib/git/repository";
import { environmentActivityKinds } from "./activity-kinds";
import { listEnvironments } from "./queries";
import { ENVIRONMENT_NAME_PATTERN, typeLabel } from "./rules";
import { inheritedSettings } from "./settings";

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

/** Why this push may not happen, or null: asked by the pre-receive hook with exactly the updates (and options) git is about to apply. */
export async function pushProblem(db: Db, access: ProjectAccess, updates: RefUpdate[], options: PushOptions = []): Promise<string | null> {
  const parsed = parsePushOptions(options);
  if (!parsed.ok) return parsed.problem;
  const envs = new Map((await listEnvironments(db, access.project.id)).map((e) => [e.name, e]));
  const parent = parsed.values.parent;
  if (parent) {
    const p = envs.get(parent);
    if (!p || !hasRole(access.environmentRoles[p.type], "viewer")) return `-o environment.parent=${parent}: there is no environment ${parent} you can see.`;
  }
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
 * Where a pushed new branch's environment hangs: `-o environment.parent`, else the project's
 * "default parent for new branches", else Integration on Pro (where developers branch) and
 * the root on Starter.
 */
export function defaultParentFor<E extends Pick<Environment, "name" | "status" | "parentId">>(project: Pick<Project, "plan" | "defaultBranchParent">, all: readonly E[], requested?: string): E | undefined {
  const byName = (name: string | null | undefined) => (name ? all.find((e) => e.name === name && e.status !== "deleting") : undefined);
  const root = all.find((e) => e.parentId === null) ?? all[0];
  return byName(requested) ?? byName(project.defaultBranchParent) ?? (project.plan === "pro" ? byName("integration") : undefined) ?? root;
}

/**
 * After git applied a push: a new branch becomes an environment under its parent (see
 * defaultParentFor), inactive unless `-o environment.status=active` asks and the rules
 * allow; a push to an active environment deploys it; a push to an inactive one is
 * recorded. Every push is an activity. Returns what happened, a line per branch, for the
 * pusher's terminal (git shows them as `remote:` lines).
 */
export async function recordPush(db: Db, user: User, access: ProjectAccess, updates: RefUpdate[], options: PushOptions, consoleUrl: string): Promise<string[]> {
  const projectId = access.project.id;
  const parsed = parsePushOptions(options);
  const wanted = parsed.ok ? parsed.values : {};
  const sessionUser = { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
  const logUrl = (activityId: string) => `${consoleUrl}/projects/${projectId}/activities/${activityId}`;
  const report: string[] = [];
  for (const u of updates) {
    const name = u.ref.slice("refs/heads/".length);
    if (u.newSha === ZERO_SHA || (await branchHead(projectId, name)) !== u.newSha) continue; // deleted, or refused by git
    const short = u.newSha.slice(0, 7);
    const outcome = await db.transaction(async (tx) => {
      await lockProject(tx, projectId);
      const all = await listEnvironments(tx, projectId);
      const env = all.find((e) => e.name === name);
      if (!env) {
        const parent = defaultParentFor(access.project, all, wanted.parent);
        const [created] = await tx
          .insert(environments)
          .values({ projectId, name, title: wanted.title ?? name, parentId: parent?.id ?? null, type: "development", status: "inactive", ...(parent ? inheritedSettings(parent) : {}) })
          .returning();
        const done = await recordDone(tx, created!, `Push created branch ${name} (${short}) under ${parent?.name ?? "no parent"}; the environment is inactive`, u.oldSha, u.newSha);
        return { kind: "created" as const, parent: parent?.name ?? null, activityId: done.id };
      }
      if (env.status === "active") {
        const activity = await enqueueActivity(environmentActivityKinds, tx, {
          projectId, environmentId: env.id, environmentName: name, occupies: [env.id], type: "environment.push",
          description: `Push to ${name} (${short})`, parameters: { before: u.oldSha, after: u.newSha }, createdBy: user.id, isProduction: env.type === "production",
        });
        return { kind: "deploying" as const, activityId: activity.id };
      }
      const done = await recordDone(tx, env, `Push to ${name} (${short}); not deployed: the environment is ${env.status}`, u.oldSha, u.newSha);
      return { kind: "not-deployed" as const, status: env.status, activityId: done.id };
    });
    // What the push brought in, kept with its activity (a new branch: what its parent lacks).
    const base = u.oldSha !== ZERO_SHA ? u.oldSha : outcome.kind === "created" && outcome.parent ? outcome.parent : null;
    await recordActivityCommits(db, outcome.activityId, base ? await commitsBroughtIn(projectId, base, u.newSha) : []);
    if (outcome.kind === "deploying") {
      report.push(`${name}: deploying ${short}. Log: ${logUrl(outcome.activityId)}`);
      continue;
    }
    const isNew = outcome.kind === "created";
    const what = isNew ? `${name}: new environment under ${outcome.parent ?? "no parent"}` : `${name}: ${short} pushed`;
    if (wanted.status === "active" && (isNew || outcome.status === "inactive")) {
      try {
        const activity = await requestEnvironmentAction(db, sessionUser, projectId, name, { action: "activate" });
        report.push(`${what}; activating it (${isNew ? "copies its parent's data, then deploys" : "deploys"} ${short}). Log: ${logUrl(activity.id)}`);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        report.push(`${what}, inactive: not activated — ${err.message}`);
      }
    } else if (isNew) {
      report.push(`${what}, inactive. Activate it in the console, or push with -o environment.status=active.`);
    } else {
      report.push(`${what}; not deployed: the environment is ${outcome.status === "inactive" ? "inactive (activate it, or push with -o environment.status=active)" : outcome.status}.`);
    }
  }
  notifyWorkers();
  if (report.length > 0) report.push(`Console: ${consoleUrl}/projects/${projectId}`);
  return report;

  /** A push that needs no work is still an activity, recorded as done. */
  async function recordDone(tx: Tx, env: { id: string; name: string }, description: string, before: string, after: string) {
    return recordDoneActivity(environmentActivityKinds, tx, { projectId, environmentId: env.id, environmentName: env.name, type: "environment.push", description, parameters: { before, after }, createdBy: user.id }, `${description}.`);
  }
}
