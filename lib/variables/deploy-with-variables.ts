import "server-only";
import type { Environment } from "@/db/schema";
import type { HandlerContext, HandlerOutcome } from "@/lib/activities/activity-runner";
import { DomainError } from "@/lib/errors";
import { branchHead } from "@/lib/git/repository";
import { deployCommit, type DeployContext } from "@/lib/runtime/deploy";
import { resolveEnvironmentVariables } from "./variables";

/**
 * Deploys `commit` to `env` with the variables its hooks get, resolved now (build-visible ones
 * for the build, runtime-visible ones for deploy and post_deploy); sensitive values are
 * redacted from the activity's log from here on. Every deploy path (push, branch, sync, merge,
 * redeploy, restore) goes through here.
 */
export async function deployWithVariables(ctx: HandlerContext, env: Environment, commit: string, rollback?: DeployContext["rollback"]): Promise<HandlerOutcome> {
  let resolved: Awaited<ReturnType<typeof resolveEnvironmentVariables>>;
  try {
    resolved = await resolveEnvironmentVariables(ctx.db, ctx.activity.projectId, env.id);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    ctx.log.line(err.message, "stderr");
    return { ok: false, message: err.message };
  }
  ctx.log.redactAlso(resolved.sensitiveValues);
  const variables = { build: resolved.build, runtime: resolved.runtime, buildDigest: resolved.buildDigest, digest: resolved.digest };
  return deployCommit({ db: ctx.db, log: ctx.log, activityId: ctx.activity.id, projectId: ctx.activity.projectId, environment: env, commit, signal: ctx.signal, onPhase: ctx.onPhase, variables, rollback });
}

/** Deploys the environment again at the commit it runs (or its branch's head), saying why in the log. */
export async function redeployCurrentCommit(ctx: HandlerContext, why: string): Promise<HandlerOutcome> {
  const commit = ctx.environment.deployedCommit ?? (await branchHead(ctx.activity.projectId, ctx.environment.name));
  if (!commit) return { ok: false, message: "There is nothing to deploy yet." };
  ctx.log.line(why);
  return deployWithVariables(ctx, ctx.environment, commit);
}
