import "server-only";
import type { Db } from "@/db/client";
import type { Activity, Environment } from "@/db/schema";
import { enqueueActivity, lockProject } from "@/lib/activities/queue";
import type { HandlerContext, HandlerOutcome } from "@/lib/activities/activity-runner";
import { notifyWorkers } from "@/lib/activities/wake";
import { canSeeEnvironmentType, hasRole, type SessionUser } from "@/lib/auth/permissions";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { DomainError } from "@/lib/errors";
import { appLogTarget } from "@/lib/runtime/driver/app-log-target";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import type { LogSink } from "@/lib/runtime/log-sink";
import { environmentActivityKinds } from "./activity-kinds";
import { getEnvironmentByName, latestDeployment } from "./queries";

/**
 * Run now: one run of a cron of the environment's deployed application, as an `environment.cron`
 * activity (queued behind what its environment runs, as every activity of it is). For members
 * who may change the environment (contributor and above of its type), on an active environment
 * that is not paused and whose deployment has the cron.
 */
export async function requestCronRun(db: Db, user: SessionUser, projectId: string, environmentName: string, cron: string): Promise<Activity> {
  const access = await requireProjectAccess(db, user, projectId);
  const activity = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const env = await getEnvironmentByName(tx, projectId, environmentName);
    if (!env || !canSeeEnvironmentType(access, env.type)) throw new DomainError("not_found", `There is no environment “${String(environmentName).slice(0, 40)}” in this project.`);
    if (!hasRole(access.environmentRoles[env.type], "contributor")) throw new DomainError("forbidden", `Running a cron of ${env.title} needs the contributor role or above on its environment type; yours is ${access.environmentRoles[env.type]}.`);
    if (env.status !== "active" && env.status !== "dirty") throw new DomainError("conflict", `${env.title} is not active: its crons do not run. Activate it first.`);
    if (env.pausedAt) throw new DomainError("conflict", `${env.title} is paused: its crons do not run until Resume.`);
    const deployment = await latestDeployment(tx, env.id);
    if (!deployment || !Object.hasOwn(deployment.config.app.crons, cron)) throw new DomainError("not_found", `${env.title}'s deployed .magento.app.yaml has no cron “${String(cron).slice(0, 64)}”.`);
    return enqueueActivity(environmentActivityKinds, tx, {
      projectId,
      createdBy: user.id,
      environmentId: env.id,
      environmentName: env.name,
      occupies: [env.id],
      type: "environment.cron",
      description: `Cron ${cron} on ${env.name}`,
      parameters: { cron },
      isProduction: env.type === "production",
    });
  });
  notifyWorkers();
  return activity;
}

/** A LogSink whose lines also go to the environment's cron.log. */
function alsoToCronLog(log: LogSink, environment: Pick<Environment, "projectId" | "name">): LogSink {
  const cronLog = appLogTarget(environment.projectId, environment.name, "cron");
  return {
    line: (text, stream) => {
      log.line(text, stream);
      cronLog.line(text, stream === "stderr" ? "stderr" : "stdout");
    },
    setSection: (name) => log.setSection(name),
    isBackedUp: () => log.isBackedUp(),
    drained: () => log.drained(),
  };
}

/**
 * Runs one cron of the deployed application beside its running release (runInRelease): its
 * output is the activity's log and cron.log; its `timeout` ends it (SIGTERM, then SIGKILL after
 * its `shutdown_timeout`), as a cancel does.
 */
export async function runCron(ctx: HandlerContext, cron: string): Promise<HandlerOutcome> {
  const deployment = await latestDeployment(ctx.db, ctx.environment.id);
  const entry = deployment && Object.hasOwn(deployment.config.app.crons, cron) ? deployment.config.app.crons[cron] : undefined;
  if (!entry) return { ok: false, message: `${ctx.environment.name}'s deployed .magento.app.yaml has no cron “${cron}” any more: nothing was run.` };
  const command = entry.commands?.start ?? entry.cmd ?? "";
  const log = alsoToCronLog(ctx.log, ctx.environment);
  log.line(`Running cron ${cron} (${entry.spec}) on ${ctx.environment.name}: at most ${entry.timeout} s (timeout), then SIGTERM and ${entry.shutdown_timeout} s (shutdown_timeout) before SIGKILL.`);
  const started = Date.now();
  const outcome = await getRuntimeDriver().runInRelease(ctx.activity.projectId, ctx.environment.name, {
    command,
    name: `The cron ${cron}`,
    log,
    timeoutMs: entry.timeout * 1000,
    stopGraceMs: entry.shutdown_timeout * 1000,
    timeoutSetting: `timeout of crons.${cron}`,
    signal: ctx.signal,
  });
  if (!outcome.ok) return { ok: false, message: outcome.message };
  const r = outcome.result;
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (r.cancelled) return { ok: false, message: `The cron ${cron} was cancelled after ${took}.`, cancelled: true };
  if (r.timedOut) return { ok: false, message: `The cron ${cron} ran longer than its timeout of ${entry.timeout} s and was stopped.` };
  if (r.refused) return { ok: false, message: r.refusal ?? `The cron ${cron} was not run.` };
  if (r.exitCode !== 0) return { ok: false, message: `The cron ${cron} failed after ${took} (${r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`}).` };
  log.line(`The cron ${cron} ended successfully in ${took}.`);
  return { ok: true };
}
