import "server-only";
import type { Db } from "@/db/client";
import { eq } from "drizzle-orm";
import { environments, type Activity } from "@/db/schema";
import { enqueueActivity, lockProject, recordDoneActivity, type Tx } from "@/lib/activities/queue";
import type { HandlerContext, HandlerOutcome } from "@/lib/activities/activity-runner";
import { notifyWorkers } from "@/lib/activities/wake";
import { canSeeEnvironmentType, hasRole, type ProjectAccess, type SessionUser } from "@/lib/auth/permissions";
import type { EnvironmentRole } from "@/db/schema";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { DomainError } from "@/lib/errors";
import { appLogTarget } from "@/lib/runtime/driver/app-log-target";
import { logTo } from "@/lib/runtime/deploy";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import type { LogSink } from "@/lib/runtime/log-sink";
import { hookLimits, type HookResult } from "@/lib/runtime/run-hook";
import { recordCronResult } from "@/lib/crons/scheduler";
import { environmentActivityKinds } from "./activity-kinds";
import { getEnvironmentByName, latestDeployment } from "./queries";

/**
 * Run now: one run of a cron of the environment's deployed application, as an `environment.cron`
 * activity (queued behind what its environment runs, as every activity of it is). For members
 * who may change the environment (contributor and above of its type), on an active environment
 * that is not paused and whose deployment has the cron.
 */
export function requestCronRun(db: Db, user: SessionUser, projectId: string, environmentName: string, cron: string): Promise<Activity> {
  return requestRun(db, user, projectId, environmentName, { kind: "cron", name: cron });
}

/**
 * A runtime operation of the deployed application (`operations.<name>`), as an
 * `environment.operation` activity, for members with at least the operation's `role` on the
 * environment's type (admin unless it says), on an active environment that is not paused.
 */
export function requestOperationRun(db: Db, user: SessionUser, projectId: string, environmentName: string, operation: string): Promise<Activity> {
  return requestRun(db, user, projectId, environmentName, { kind: "operation", name: operation });
}

/** Under the project's lock: the environment of that name, if the member may see its type (else not found), and the member's role on it. */
async function lockedEnvironment(tx: Tx, access: ProjectAccess, projectId: string, environmentName: string) {
  await lockProject(tx, projectId);
  const env = await getEnvironmentByName(tx, projectId, environmentName);
  if (!env || !canSeeEnvironmentType(access, env.type)) throw new DomainError("not_found", `There is no environment “${String(environmentName).slice(0, 40)}” in this project.`);
  return { env, role: access.environmentRoles[env.type] };
}

async function requestRun(db: Db, user: SessionUser, projectId: string, environmentName: string, what: { kind: "cron" | "operation"; name: string }): Promise<Activity> {
  const access = await requireProjectAccess(db, user, projectId);
  const activity = await db.transaction(async (tx) => {
    const { env, role } = await lockedEnvironment(tx, access, projectId, environmentName);
    if (what.kind === "cron" && !hasRole(role, "contributor")) throw new DomainError("forbidden", `Running a cron of ${env.title} needs the contributor role or above on its environment type; yours is ${role}.`);
    if (env.status !== "active" && env.status !== "dirty") throw new DomainError("conflict", `${env.title} is not active: nothing of its application runs. Activate it first.`);
    if (env.pausedAt) throw new DomainError("conflict", `${env.title} is paused: nothing of its application runs until Resume.`);
    const deployment = await latestDeployment(tx, env.id);
    const app = deployment?.config.app;
    if (what.kind === "cron") {
      if (!app || !Object.hasOwn(app.crons, what.name)) throw new DomainError("not_found", `${env.title}'s deployed .magento.app.yaml has no cron “${String(what.name).slice(0, 64)}”.`);
    } else {
      const operation = app && Object.hasOwn(app.operations, what.name) ? app.operations[what.name] : undefined;
      if (!operation) throw new DomainError("not_found", `${env.title}'s deployed .magento.app.yaml has no operation “${String(what.name).slice(0, 64)}”.`);
      if (!hasRole(role, operation.role)) throw new DomainError("forbidden", `The operation ${what.name} needs the ${operation.role} role or above on ${env.title}'s environment type (its role in .magento.app.yaml); yours is ${role}.`);
    }
    const base = { projectId, createdBy: user.id, environmentId: env.id, environmentName: env.name, occupies: [env.id], isProduction: env.type === "production" };
    return what.kind === "cron"
      ? enqueueActivity(environmentActivityKinds, tx, { ...base, type: "environment.cron", description: `Cron ${what.name} on ${env.name}`, parameters: { cron: what.name } })
      : enqueueActivity(environmentActivityKinds, tx, { ...base, type: "environment.operation", description: `Operation ${what.name} on ${env.name}`, parameters: { operation: what.name, role: role as Exclude<EnvironmentRole, "none"> } });
  });
  notifyWorkers();
  return activity;
}

/**
 * Pause crons / Resume crons of an environment (contributor and above of its type): the scheduler
 * starts none of its crons while paused (a running one goes on; Run now still works). Recorded as
 * a done activity with a line saying what changed; times that pass while paused are not "missed".
 */
export async function setCronsPaused(db: Db, user: SessionUser, projectId: string, environmentName: string, paused: boolean): Promise<Activity> {
  const access = await requireProjectAccess(db, user, projectId);
  const activity = await db.transaction(async (tx) => {
    const { env, role } = await lockedEnvironment(tx, access, projectId, environmentName);
    if (!hasRole(role, "contributor")) throw new DomainError("forbidden", `Pausing or resuming the crons of ${env.title} needs the contributor role or above on its environment type; yours is ${role}.`);
    if (paused === !!env.cronsPausedAt) throw new DomainError("conflict", `${env.title}'s crons are already ${paused ? "paused" : "running on their schedule"}.`);
    const now = new Date();
    await tx
      .update(environments)
      .set(paused ? { cronsPausedAt: now, cronsPausedBy: user.id } : { cronsPausedAt: null, cronsPausedBy: null, cronsSince: now })
      .where(eq(environments.id, env.id));
    return recordDoneActivity(
      environmentActivityKinds,
      tx,
      {
        projectId,
        createdBy: user.id,
        environmentId: env.id,
        environmentName: env.name,
        type: paused ? "environment.crons.pause" : "environment.crons.resume",
        description: `${paused ? "Paused" : "Resumed"} the crons of ${env.name}`,
        parameters: {},
      },
      paused
        ? `The crons of ${env.name} are paused: none starts on its schedule until Resume crons (a running one goes on; Run now still works).`
        : `The crons of ${env.name} run on their schedule again, from now on (the times that passed while paused are not run).`,
    );
  });
  return activity;
}

/**
 * Runs one cron of the deployed application beside its running release (runInRelease): its
 * output is the activity's log and cron.log; its `timeout` ends it (SIGTERM, then SIGKILL after
 * its `shutdown_timeout`), as a cancel does.
 */
export async function runCron(ctx: HandlerContext, cron: string, scheduledFor?: string): Promise<HandlerOutcome> {
  const deployment = await latestDeployment(ctx.db, ctx.environment.id);
  const entry = deployment && Object.hasOwn(deployment.config.app.crons, cron) ? deployment.config.app.crons[cron] : undefined;
  if (!entry) return { ok: false, message: `${ctx.environment.name}'s deployed .magento.app.yaml has no cron “${cron}” any more: nothing was run.` };
  // A Pause (or Deactivate) that came first: nothing of the application runs, so neither does this.
  if (ctx.environment.pausedAt || (ctx.environment.status !== "active" && ctx.environment.status !== "dirty")) {
    ctx.log.line(`${ctx.environment.name} was ${ctx.environment.pausedAt ? "paused" : "deactivated"} before this run could start: the cron ${cron} was not run.`);
    return { ok: true };
  }
  // A scheduled run whose crons were paused while it waited (Run now still runs).
  if (scheduledFor && ctx.environment.cronsPausedAt) {
    ctx.log.line(`The crons of ${ctx.environment.name} were paused before this run could start: the cron ${cron} was not run.`);
    return { ok: true };
  }
  const command = entry.commands?.start ?? entry.cmd ?? "";
  // Its lines also go to the environment's cron.log (Logs tab).
  const log = logTo(appLogTarget(ctx.activity.projectId, ctx.environment.name, "cron"), ctx.log);
  const startedAt = new Date();
  if (scheduledFor) log.line(`Scheduled for ${scheduledFor.slice(0, 19).replace("T", " ")} UTC; started ${((startedAt.getTime() - Date.parse(scheduledFor)) / 1000).toFixed(1)} s after.`);
  log.line(`Running cron ${cron} (${entry.spec}) on ${ctx.environment.name}: at most ${entry.timeout} s (timeout), then SIGTERM and ${entry.shutdown_timeout} s (shutdown_timeout) before SIGKILL.`);
  const started = startedAt.getTime();
  const outcome = await getRuntimeDriver().runInRelease(ctx.activity.projectId, ctx.environment.name, {
    command,
    name: `The cron ${cron}`,
    log,
    timeoutMs: entry.timeout * 1000,
    stopGraceMs: entry.shutdown_timeout * 1000,
    timeoutSetting: `timeout of crons.${cron}`,
    signal: ctx.signal,
    background: true,
  });
  const result: HandlerOutcome = outcome.ok ? outcomeOf(outcome.result, `The cron ${cron}`, `its timeout of ${entry.timeout} s`, started, log) : { ok: false, message: outcome.message };
  await recordCronResult(ctx.db, ctx.environment.id, cron, { activityId: ctx.activity.id, startedAt, ok: result.ok, cancelled: !result.ok && !!result.cancelled }).catch((err: unknown) =>
    console.error(`[crons] the result of ${cron} on ${ctx.environment.name} was not recorded:`, err),
  );
  return result;
}

/**
 * Runs one runtime operation of the deployed application beside its running release, as a deploy
 * hook runs (HOOK_DEPLOY_TIMEOUT, then SIGTERM and 10 s before SIGKILL): its output is the activity's log.
 */
export async function runOperation(ctx: HandlerContext, name: string, allowedRole?: Exclude<EnvironmentRole, "none">): Promise<HandlerOutcome> {
  const deployment = await latestDeployment(ctx.db, ctx.environment.id);
  const operation = deployment && Object.hasOwn(deployment.config.app.operations, name) ? deployment.config.app.operations[name] : undefined;
  if (!operation) return { ok: false, message: `${ctx.environment.name}'s deployed .magento.app.yaml has no operation “${name}” any more: nothing was run.` };
  // A deploy while it waited may have raised the operation's role above the role of the member who asked.
  if (allowedRole && !hasRole(allowedRole, operation.role)) {
    return { ok: false, message: `The operation ${name} now needs the ${operation.role} role (a deploy changed .magento.app.yaml after it was asked for by a member whose role is ${allowedRole}): nothing was run.` };
  }
  const timeoutMs = hookLimits("deploy").timeoutMs;
  ctx.log.line(`Running operation ${name} on ${ctx.environment.name} (role ${operation.role}).`);
  const started = Date.now();
  const outcome = await getRuntimeDriver().runInRelease(ctx.activity.projectId, ctx.environment.name, {
    command: operation.commands.start,
    name: `The operation ${name}`,
    log: ctx.log,
    timeoutMs,
    stopGraceMs: 10_000,
    timeoutSetting: "HOOK_DEPLOY_TIMEOUT",
    signal: ctx.signal,
  });
  if (!outcome.ok) return { ok: false, message: outcome.message };
  return outcomeOf(outcome.result, `The operation ${name}`, `its limit of ${timeoutMs / 1000} s (HOOK_DEPLOY_TIMEOUT)`, started, ctx.log);
}

/** What a run's result means for its activity, in a sentence. */
function outcomeOf(r: HookResult, name: string, limit: string, started: number, log: LogSink): HandlerOutcome {
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (r.cancelled) return { ok: false, message: `${name} was cancelled after ${took}.`, cancelled: true };
  if (r.timedOut) return { ok: false, message: `${name} ran longer than ${limit} and was stopped.` };
  if (r.refused) return { ok: false, message: r.refusal ?? `${name} was not run.` };
  if (r.exitCode !== 0) return { ok: false, message: `${name} failed after ${took} (${r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`}).` };
  log.line(`${name} ended successfully in ${took}.`);
  return { ok: true };
}
