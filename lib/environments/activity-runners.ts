import "server-only";
import { and, eq } from "drizzle-orm";
import { deployments, environments, type Activity } from "@/db/schema";
import type { ActivityRunners, HandlerContext, HandlerOutcome } from "@/lib/activities/activity-runner";
import type { Tx } from "@/lib/activities/queue";
import { formatBytes } from "@/lib/format-bytes";
import { git } from "@/lib/git/git";
import { branchHead, createBranch, deleteBranch, isAncestor, mergeBranches, rebaseBranch, repositoryPath } from "@/lib/git/repository";
import { removeEnvironmentDeploys, removeEnvironmentLogs, setPaused } from "@/lib/runtime/deploy";
import { copyEnvironmentData } from "@/lib/runtime/copy-environment-data";
import { deleteVolumes, removeStaleGenerations } from "@/lib/runtime/volumes";
import { skippedLines } from "@/lib/tree-tool";
import { commitsBroughtIn, recordActivityCommits } from "./activity-commits";
import { deployWithVariables, redeployCurrentCommit } from "@/lib/variables/deploy-with-variables";
import { latestDeployment } from "./queries";
import type { EnvironmentActivityKinds } from "./activity-kinds";
import { runCron, runOperation } from "./run-now";

/** Deploys the head of a branch (this environment's unless said otherwise). */
export async function deployHead(ctx: HandlerContext, envName = ctx.environment.name, env = ctx.environment): Promise<HandlerOutcome> {
  const commit = await branchHead(ctx.activity.projectId, envName);
  if (!commit) return { ok: false, message: `The branch ${envName} does not exist.` };
  return deployWithVariables(ctx, env, commit);
}

/** Replaces the environment's data with a copy of `from`'s, and says how in the log. */
async function copyData(ctx: HandlerContext, from: string): Promise<HandlerOutcome | null> {
  ctx.log.line(`Copying ${from}'s data (services and mounts) to ${ctx.environment.name}…`);
  try {
    const r = await copyEnvironmentData(ctx.db, ctx.activity.projectId, from, ctx.environment, ctx.log, ctx.signal);
    for (const line of skippedLines(r)) ctx.log.line(line, "stderr");
    ctx.log.line(
      r.method === "empty"
        ? `${from} has no data yet: ${ctx.environment.name} starts empty.`
        : `Copied ${r.bytes < 1024 ? `${r.bytes} bytes` : `${formatBytes(r.bytes)} (${r.bytes.toLocaleString("en-US")} bytes)`} of files from ${from} (${r.method === "reflink" ? "reflink copy: blocks are shared until written" : "plain copy: this file system has no reflinks"}).`,
    );
    return null;
  } catch (err) {
    ctx.log.line((err as Error).message, "stderr");
    return { ok: false, message: (err as Error).message };
  }
}

/** Removes a half-filled new generation of the environment's data that was never switched in (it kept its old data). */
export const removeUnswitchedData = async (_tx: Tx, a: Activity) => {
  if (a.environmentName) await removeStaleGenerations(a.projectId, a.environmentName);
};

/** How each of the environments domain's kinds runs (and what a dead worker's leaves are). */
export const environmentActivityRunners: ActivityRunners<EnvironmentActivityKinds> = {
  "environment.initialize": { run: (ctx) => deployHead(ctx) },

  "environment.branch": {
    async run(ctx, p) {
      await createBranch(ctx.activity.projectId, ctx.environment.name, p.commit);
      ctx.log.line(`Created branch ${ctx.environment.name} from ${p.parent} at ${p.commit.slice(0, 12)}.`);
      if (!p.activate) {
        ctx.log.line(p.inactiveReason ?? "The environment was created inactive.");
        return { ok: true, statusAfter: "inactive" };
      }
      const failed = await copyData(ctx, p.parent);
      if (failed) return failed;
      return deployHead(ctx);
    },
    abandon: removeUnswitchedData,
  },

  "environment.activate": {
    async run(ctx) {
      const parent = ctx.environment.parentId
        ? (await ctx.db.select().from(environments).where(eq(environments.id, ctx.environment.parentId)))[0]
        : undefined;
      if (parent) {
        const failed = await copyData(ctx, parent.name);
        if (failed) return failed;
      }
      return deployHead(ctx);
    },
    abandon: removeUnswitchedData,
  },

  "environment.deactivate": {
    async run(ctx) {
      await removeEnvironmentDeploys(ctx.activity.projectId, ctx.environment.name);
      await deleteVolumes(ctx.activity.projectId, ctx.environment.name);
      await ctx.db.update(environments).set({ deployedCommit: null, deployedAt: null }).where(eq(environments.id, ctx.environment.id));
      ctx.log.line(`Deleted ${ctx.environment.name}'s deployment and data; the branch ${ctx.environment.name} stays.`);
      return { ok: true };
    },
  },

  "environment.delete": {
    async run(ctx) {
      const head = await branchHead(ctx.activity.projectId, ctx.environment.name);
      if (head) await deleteBranch(ctx.activity.projectId, ctx.environment.name, head);
      await removeEnvironmentDeploys(ctx.activity.projectId, ctx.environment.name);
      await removeEnvironmentLogs(ctx.activity.projectId, ctx.environment.name);
      await deleteVolumes(ctx.activity.projectId, ctx.environment.name);
      await ctx.db.delete(environments).where(eq(environments.id, ctx.environment.id));
      ctx.log.line(`Deleted the environment and its branch ${ctx.environment.name}.`);
      return { ok: true };
    },
  },

  "environment.merge": {
    async run(ctx, { source, target }) {
      const before = await branchHead(ctx.activity.projectId, target);
      const result = await mergeBranches(ctx.activity.projectId, target, source, `Merge ${source} into ${target}`);
      if (result.kind === "conflict") {
        ctx.log.line(`Merging ${source} into ${target} conflicts in ${result.paths.length} path(s):`, "stderr");
        for (const p of result.paths) ctx.log.line(`  ${p}`, "stderr");
        ctx.log.line(`Nothing was changed: ${source} and ${target} are as they were. Sync ${source} from ${target} and resolve the conflicts, then merge again.`);
        return { ok: false, message: "The merge has conflicts." };
      }
      ctx.log.line(
        result.kind === "up-to-date"
          ? `${target} already contains every commit of ${source}.`
          : `Merged ${source} into ${target} (${result.kind === "fast-forward" ? "fast-forward" : "merge commit"} ${result.commit.slice(0, 12)}).`,
      );
      if (result.kind !== "up-to-date" && before) {
        const merged = await commitsBroughtIn(ctx.activity.projectId, before, result.commit);
        await recordActivityCommits(ctx.db, ctx.activity.id, merged);
        for (const c of merged.slice(0, 20)) ctx.log.line(`  ${c.sha.slice(0, 12)} ${c.subject} (${c.author})`);
        if (merged.length > 20) ctx.log.line(`  … and ${merged.length - 20} more`);
      }
      ctx.log.line(`${target} keeps its own data.`);
      return deployHead(ctx, target);
    },
  },

  "environment.synchronize": {
    async run(ctx, p) {
      const projectId = ctx.activity.projectId;
      if (p.code) {
        const parentHead = await branchHead(projectId, p.source);
        const childHead = await branchHead(projectId, ctx.environment.name);
        if (!parentHead || !childHead) return { ok: false, message: "A branch is missing." };
        if (await isAncestor(projectId, parentHead, childHead)) {
          ctx.log.line(`${ctx.environment.name} already has every commit of ${p.source}.`);
        } else if (await isAncestor(projectId, childHead, parentHead)) {
          await git(["update-ref", `refs/heads/${ctx.environment.name}`, parentHead, childHead], { gitDir: repositoryPath(projectId) });
          ctx.log.line(`Fast-forwarded ${ctx.environment.name} to ${p.source} (${parentHead.slice(0, 12)}).`);
        } else if (p.rebase) {
          const rebased = await rebaseBranch(projectId, ctx.environment.name, parentHead);
          if (rebased.kind === "conflict") {
            ctx.log.line(`Rebasing ${ctx.environment.name} on ${p.source} conflicts in ${rebased.paths.length} path(s):`, "stderr");
            for (const path of rebased.paths) ctx.log.line(`  ${path}`, "stderr");
            ctx.log.line(`Nothing was changed: ${ctx.environment.name} is as it was.`);
            return { ok: false, message: "The rebase has conflicts." };
          }
          ctx.log.line(`Rebased ${ctx.environment.name}'s own commits on ${p.source} (${rebased.commit.slice(0, 12)}).`);
        } else {
          ctx.log.line(`${ctx.environment.name} has commits that ${p.source} does not, so it cannot be fast-forwarded.`, "stderr");
          return { ok: false, message: `${ctx.environment.name} has its own commits: merge it into ${p.source} first, or sync with “rebase” checked.` };
        }
      }
      if (p.data) {
        const failed = await copyData(ctx, p.source);
        if (failed) return failed;
      }
      return deployHead(ctx);
    },
    abandon: removeUnswitchedData,
  },

  "environment.redeploy": {
    async run(ctx) {
      // Rolled back: Redeploy returns to the head of its branch.
      const current = await latestDeployment(ctx.db, ctx.environment.id);
      if (current?.rollbackOf) {
        ctx.log.line(`${ctx.environment.name} runs an earlier deployment (a Roll back to ${current.commit.slice(0, 12)}): Redeploy returns it to the head of its branch.`);
        return deployHead(ctx);
      }
      return redeployCurrentCommit(ctx, `Redeploying ${ctx.environment.name} at its current commit; no new commit is needed.`);
    },
  },
  "environment.rollback": {
    async run(ctx, p) {
      const [target] = await ctx.db.select().from(deployments).where(and(eq(deployments.id, p.deploymentId), eq(deployments.environmentId, ctx.environment.id)));
      if (!target) return { ok: false, message: "That deployment is not one of this environment's any more." };
      if (!target.buildKey) return { ok: false, message: `The deployment of ${target.commit.slice(0, 12)} is from before builds were kept for Roll back: redeploy its commit from a branch instead.` };
      ctx.log.line(`Rolling ${ctx.environment.name} back to its deployment of ${target.commit.slice(0, 12)} from ${target.createdAt.toISOString()}.`);
      return deployWithVariables(ctx, ctx.environment, target.commit, { deploymentId: target.id, buildKey: target.buildKey });
    },
  },

  "environment.push": { run: (ctx) => deployHead(ctx) },

  "environment.update.http_access": { run: (ctx) => redeployCurrentCommit(ctx, `Redeploying ${ctx.environment.name} so the router enforces its new HTTP access control.`) },
  "environment.update.restrict_robots": { run: (ctx) => redeployCurrentCommit(ctx, `Redeploying ${ctx.environment.name} so the router applies its search-engine visibility.`) },

  "environment.pause": {
    async run(ctx) {
      await setPaused(ctx.activity.projectId, ctx.environment.name, true, ctx.log);
      await ctx.db.update(environments).set({ pausedAt: new Date(), updatedAt: new Date() }).where(eq(environments.id, ctx.environment.id));
      ctx.log.line(`${ctx.environment.name} is paused: its site answers 503 until Resume, a push or a redeploy. Its data is kept, and it still counts towards the plan.`);
      return { ok: true };
    },
  },
  "environment.cron": { run: (ctx, { cron, scheduledFor }) => runCron(ctx, cron, scheduledFor) },
  "environment.operation": { run: (ctx, { operation, role }) => runOperation(ctx, operation, role) },

  "environment.resume": {
    async run(ctx) {
      const resumed = await setPaused(ctx.activity.projectId, ctx.environment.name, false, ctx.log, ctx.db);
      if (!resumed.ok) return resumed;
      await ctx.db.update(environments).set({ pausedAt: null, cronsSince: new Date(), updatedAt: new Date() }).where(eq(environments.id, ctx.environment.id));
      ctx.log.line(`${ctx.environment.name} is serving its site again.`);
      return { ok: true };
    },
  },
};
