import "server-only";
import type { Environment } from "@/db/schema";
import type { HandlerContext, HandlerOutcome } from "@/lib/activities/activity-runner";
import { DomainError } from "@/lib/errors";
import { branchHead } from "@/lib/git/repository";
import { deployCommit } from "@/lib/runtime/deploy";
import type { MailRelay } from "@/lib/runtime/mail-endpoint";
import { open } from "./secret-box";
import { getVariablesKey } from "./variables-key";
import { resolveEnvironmentVariables } from "./variables";

/**
 * Deploys `commit` to `env` with the variables its hooks get, resolved now (build-visible ones
 * for the build, runtime-visible ones for deploy and post_deploy); sensitive values are
 * redacted from the activity's log from here on. Every deploy path (push, branch, sync, merge,
 * redeploy, restore) goes through here.
 */
export async function deployWithVariables(ctx: HandlerContext, env: Environment, commit: string): Promise<HandlerOutcome> {
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
  const mailRelay = openedMailRelay(env);
  if (mailRelay?.password) ctx.log.redactAlso([mailRelay.password]);
  return deployCommit({ db: ctx.db, log: ctx.log, activityId: ctx.activity.id, projectId: ctx.activity.projectId, environment: env, commit, signal: ctx.signal, onPhase: ctx.onPhase, variables, mailRelay });
}

/** The context a relay password is sealed under: bound to its environment. */
export const mailRelayContext = (environmentId: string) => `mail-relay:${environmentId}`;

/** Production's mail relay with its password opened (null when none, or when the key cannot open it: the log of the send says it failed). */
function openedMailRelay(env: Environment): MailRelay | null {
  const r = env.mailRelay;
  if (!r || env.type !== "production") return null;
  let password: string | null = null;
  if (r.passwordSealed) {
    try {
      password = open(getVariablesKey(), r.passwordSealed, mailRelayContext(env.id));
    } catch {
      password = null;
    }
  }
  return { host: r.host, port: r.port, secure: r.secure, username: r.username, password };
}

/** Deploys the environment again at the commit it runs (or its branch's head), saying why in the log. */
export async function redeployCurrentCommit(ctx: HandlerContext, why: string): Promise<HandlerOutcome> {
  const commit = ctx.environment.deployedCommit ?? (await branchHead(ctx.activity.projectId, ctx.environment.name));
  if (!commit) return { ok: false, message: "There is nothing to deploy yet." };
  ctx.log.line(why);
  return deployWithVariables(ctx, ctx.environment, commit);
}
