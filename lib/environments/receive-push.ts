import "server-only";
import type { Db } from "@/db/client";
import { environments, type Environment, type Project, type User } from "@/db/schema";
import { enqueueActivity, lockProject, recordDoneActivity, type Tx } from "@/lib/activities/queue";
import { notifyWorkers } from "@/lib/activities/wake";
import { hasRole, type ProjectAccess } from "@/lib/auth/permissions";
import { eq } from "drizzle-orm";
import { activities } from "@/db/schema";
import { followActivity } from "@/lib/activities/log-stream";
import { ZERO_SHA, type PushOptions, type PushReport, type RefUpdate } from "@/lib/git/push-gate";
import { DomainError } from "@/lib/errors";
import { parsePushOptions } from "./push-options";
import { commitsBroughtIn, recordActivityCommits } from "./activity-commits";
import { requestEnvironmentAction } from "./request-action";
import { branchHead } from "@/lib/git/repository";
import { environmentActivityKinds } from "./activity-kinds";
import { getEnvironmentByName, listEnvironments } from "./queries";
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
    // A branch the pusher may not see is refused by git itself (it is hidden): answering about it here would tell them it exists.
    if (env && !hasRole(access.environmentRoles[env.type], "viewer")) continue;
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
 * pusher's terminal (git shows them as `remote:` lines), and, unless `-o deploy.wait=0`, a
 * follower of the deploys it started (their lines, then how each ended).
 */
export async function recordPush(db: Db, user: User, access: ProjectAccess, updates: RefUpdate[], options: PushOptions, consoleUrl: string): Promise<PushReport> {
  const projectId = access.project.id;
  const parsed = parsePushOptions(options);
  const wanted = parsed.ok ? parsed.values : {};
  const sessionUser = { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
  const logUrl = (activityId: string) => `${consoleUrl}/projects/${projectId}/activities/${activityId}`;
  const report: string[] = [];
  const deploys: Deploy[] = [];
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
      deploys.push({ ref: u.ref, name, activityId: outcome.activityId });
      continue;
    }
    const isNew = outcome.kind === "created";
    const what = isNew ? `${name}: new environment under ${outcome.parent ?? "no parent"}` : `${name}: ${short} pushed`;
    if (wanted.status === "active" && (isNew || outcome.status === "inactive")) {
      try {
        const activity = await requestEnvironmentAction(db, sessionUser, projectId, name, { action: "activate" });
        report.push(`${what}; activating it (${isNew ? "copies its parent's data, then deploys" : "deploys"} ${short}). Log: ${logUrl(activity.id)}`);
        deploys.push({ ref: u.ref, name, activityId: activity.id });
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
  const pushed = updates.filter((u) => u.newSha !== ZERO_SHA).map((u) => u.ref.slice("refs/heads/".length));
  const environmentUrl = (name: string) => `${consoleUrl}/projects/${projectId}/environments/${name}`;
  if (report.length > 0) report.push(`Console: ${pushed.length === 1 ? environmentUrl(pushed[0]!) : `${consoleUrl}/projects/${projectId}`}`);
  if (deploys.length === 0 || wanted.wait === false) {
    if (deploys.length > 0) report.push("Not waiting for the deploy (-o deploy.wait=0): its log has how it ends.");
    return { lines: report };
  }
  report.push(`Waiting for the deploy${deploys.length > 1 ? "s" : ""} (push with -o deploy.wait=0 to return at once; stopping git here does not stop ${deploys.length > 1 ? "them" : "it"}).`);
  return { lines: report, follow: (say, signal) => followDeploys(db, projectId, deploys, say, signal, { logUrl, environmentUrl }) };

  /** A push that needs no work is still an activity, recorded as done. */
  async function recordDone(tx: Tx, env: { id: string; name: string }, description: string, before: string, after: string) {
    return recordDoneActivity(environmentActivityKinds, tx, { projectId, environmentId: env.id, environmentName: env.name, type: "environment.push", description, parameters: { before, after }, createdBy: user.id }, `${description}.`);
  }
}

interface Deploy {
  ref: string;
  name: string;
  activityId: string;
}

/** At most this much of the deploys' log is copied to the pusher's terminal (a line counts at least 64 bytes); the rest is in the console. */
const MAX_FOLLOWED_BYTES = 4 * 1024 * 1024;
const MIN_LINE_COST = 64;

/**
 * Says each line of the push's deploys as they run, then how each ended: what is served, or why
 * it failed and what is still served. Resolves the branches whose deploy did not succeed, with
 * the reason git shows beside them. A stopped follower (the pusher went away) ends quietly.
 */
async function followDeploys(db: Db, projectId: string, deploys: Deploy[], say: (line: string) => Promise<void>, signal: AbortSignal, urls: { logUrl: (id: string) => string; environmentUrl: (name: string) => string }): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  let bytes = 0;
  for (const d of deploys) {
    const [activity] = await db.select().from(activities).where(eq(activities.id, d.activityId));
    if (!activity || signal.aborted) break;
    if (activity.state === "pending") await say(`${d.name}: waiting for its turn (an activity already running on it goes first)…`);
    const ended = await followActivity(
      db,
      activity,
      async (line) => {
        const before = bytes;
        bytes += Math.max(MIN_LINE_COST, Buffer.byteLength(line.text) + 1);
        if (bytes <= MAX_FOLLOWED_BYTES) await say(line.text);
        else if (before <= MAX_FOLLOWED_BYTES) await say(`… the rest of the log is in the console: ${urls.logUrl(d.activityId)}`);
      },
      signal,
    );
    if (!ended) break;
    const env = await getEnvironmentByName(db, projectId, d.name);
    const serving = env?.deployedCommit ? `${env.deployedCommit.slice(0, 7)} is served` : "nothing is served";
    if (ended.result === "success") {
      await say(`${d.name}: deployed; ${serving}. ${urls.environmentUrl(d.name)}`);
      continue;
    }
    const how = ended.state === "cancelled" ? "cancelled" : "failed";
    await say(`${d.name}: the deploy ${how}; ${serving}. The commits are pushed: fix them and push again, or Redeploy. Log: ${urls.logUrl(d.activityId)}`);
    refused.set(d.ref, `deploy ${how}; the commits are pushed (see above)`);
  }
  return refused;
}
