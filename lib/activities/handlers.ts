import "server-only";
import fs from "node:fs";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments, snapshots, type Activity, type Environment } from "@/db/schema";
import { branchHead, createBranch, deleteBranch, isAncestor, mergeBranches, rebaseBranch, repositoryPath } from "@/lib/git/repository";
import { git } from "@/lib/git/git";
import { deployCommit, removeEnvironmentDeploys } from "@/lib/runtime/deploy";
import { copyVolumes, currentDataPath, deleteVolumes, newGeneration, removeStaleGenerations, switchGeneration, volumesRoot } from "@/lib/runtime/volumes";
import { extractSnapshotArchive, writeSnapshotArchive } from "@/lib/runtime/snapshot-archive";
import { removeSnapshotFiles, snapshotDir, snapshotTempDir } from "@/lib/snapshots/snapshots";
import { formatBytes } from "@/lib/format-bytes";
import type { ActivityLog } from "./activity-log";
import type { Tx } from "./queue";

export interface HandlerContext {
  db: Db;
  activity: Activity;
  environment: Environment;
  log: ActivityLog;
  signal: AbortSignal;
  onPhase: (phase: "build" | "deploy") => Promise<void>;
  /** Percent done, for work that can tell (stored at most once a second). */
  setProgress: (percent: number) => void;
}

export type HandlerOutcome = { ok: true; statusAfter?: Environment["status"] } | { ok: false; message: string; cancelled?: boolean };
type Handler = (ctx: HandlerContext) => Promise<HandlerOutcome>;

const params = (ctx: HandlerContext) => ctx.activity.parameters as Record<string, unknown>;

async function deployHead(ctx: HandlerContext, envName = ctx.environment.name, env = ctx.environment): Promise<HandlerOutcome> {
  const commit = await branchHead(ctx.activity.projectId, envName);
  if (!commit) return { ok: false, message: `The branch ${envName} does not exist.` };
  return deployCommit({ db: ctx.db, log: ctx.log, activityId: ctx.activity.id, projectId: ctx.activity.projectId, environment: env, commit, signal: ctx.signal, onPhase: ctx.onPhase });
}

/** Replaces the environment's data with a copy of `from`'s, and says how in the log. */
async function copyData(ctx: HandlerContext, from: string): Promise<HandlerOutcome | null> {
  ctx.log.line(`Copying ${from}'s data (services and mounts) to ${ctx.environment.name}…`);
  try {
    const r = await copyVolumes(ctx.activity.projectId, from, ctx.environment.name);
    ctx.log.line(
      r.method === "empty"
        ? `${from} has no data yet: ${ctx.environment.name} starts empty.`
        : `Copied ${r.bytes < 1024 ? `${r.bytes} bytes` : `${formatBytes(r.bytes)} (${r.bytes.toLocaleString("en-US")} bytes)`} from ${from} (${r.method === "reflink" ? "reflink copy: blocks are shared until written" : "plain copy: this file system has no reflinks"}).`,
    );
    return null;
  } catch (err) {
    ctx.log.line((err as Error).message, "stderr");
    return { ok: false, message: (err as Error).message };
  }
}


/** Removes a half-filled new generation of the environment's data that was never switched in (it kept its old data). */
const removeUnswitchedData = async (_tx: Tx, a: Activity) => removeStaleGenerations(a.projectId, a.environmentName);

/**
 * What an activity leaves behind when its worker dies mid-way, and how recovery removes it
 * (in the transaction that fails the activity): a half-copied or half-restored generation
 * of data is deleted; a snapshot is failed and its partial archive removed, so it is never
 * listed as complete.
 */
export const ABANDON: Record<string, (tx: Tx, activity: Activity) => Promise<void>> = {
  "environment.branch": removeUnswitchedData,
  "environment.activate": removeUnswitchedData,
  "environment.synchronize": removeUnswitchedData,
  "environment.restore": removeUnswitchedData,
  async "environment.backup"(tx, activity) {
    const snapshotId = (activity.parameters as { snapshotId?: string }).snapshotId;
    if (!snapshotId) return;
    await tx.update(snapshots).set({ state: "failed", completedAt: new Date() }).where(and(eq(snapshots.id, snapshotId), eq(snapshots.state, "in_progress")));
    fs.rmSync(snapshotTempDir(activity.projectId, snapshotId), { recursive: true, force: true });
  },
};

export const HANDLERS: Record<string, Handler> = {
  "environment.initialize": (ctx) => deployHead(ctx),

  async "environment.branch"(ctx) {
    const p = params(ctx);
    await createBranch(ctx.activity.projectId, ctx.environment.name, String(p.commit));
    ctx.log.line(`Created branch ${ctx.environment.name} from ${String(p.parent)} at ${String(p.commit).slice(0, 12)}.`);
    if (!p.activate) {
      ctx.log.line(String(p.inactiveReason ?? "The environment was created inactive."));
      return { ok: true, statusAfter: "inactive" };
    }
    const failed = await copyData(ctx, String(p.parent));
    if (failed) return failed;
    return deployHead(ctx);
  },

  async "environment.activate"(ctx) {
    const parent = ctx.environment.parentId
      ? (await ctx.db.select().from(environments).where(eq(environments.id, ctx.environment.parentId)))[0]
      : undefined;
    if (parent) {
      const failed = await copyData(ctx, parent.name);
      if (failed) return failed;
    }
    return deployHead(ctx);
  },

  async "environment.deactivate"(ctx) {
    removeEnvironmentDeploys(ctx.activity.projectId, ctx.environment.name);
    deleteVolumes(ctx.activity.projectId, ctx.environment.name);
    await ctx.db.update(environments).set({ deployedCommit: null, deployedAt: null }).where(eq(environments.id, ctx.environment.id));
    ctx.log.line(`Deleted ${ctx.environment.name}'s deployment and data; the branch ${ctx.environment.name} stays.`);
    return { ok: true };
  },

  async "environment.delete"(ctx) {
    const head = await branchHead(ctx.activity.projectId, ctx.environment.name);
    if (head) await deleteBranch(ctx.activity.projectId, ctx.environment.name, head);
    removeEnvironmentDeploys(ctx.activity.projectId, ctx.environment.name);
    deleteVolumes(ctx.activity.projectId, ctx.environment.name);
    await ctx.db.delete(environments).where(eq(environments.id, ctx.environment.id));
    ctx.log.line(`Deleted the environment and its branch ${ctx.environment.name}.`);
    return { ok: true };
  },

  async "environment.merge"(ctx) {
    const { source, target } = params(ctx) as { source: string; target: string };
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
    ctx.log.line(`${target} keeps its own data.`);
    return deployHead(ctx, target);
  },

  async "environment.synchronize"(ctx) {
    const p = params(ctx) as { source: string; code: boolean; data: boolean; rebase: boolean };
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

  "environment.redeploy": async (ctx) => {
    const commit = ctx.environment.deployedCommit ?? (await branchHead(ctx.activity.projectId, ctx.environment.name));
    if (!commit) return { ok: false, message: "There is nothing to deploy yet." };
    ctx.log.line(`Redeploying ${ctx.environment.name} at its current commit; no new commit is needed.`);
    return deployCommit({ db: ctx.db, log: ctx.log, activityId: ctx.activity.id, projectId: ctx.activity.projectId, environment: ctx.environment, commit, signal: ctx.signal, onPhase: ctx.onPhase });
  },

  "environment.push": (ctx) => deployHead(ctx),

  "environment.backup": (ctx) => createSnapshotArchive(ctx),
  "environment.restore": (ctx) => restoreSnapshot(ctx),
};

async function createSnapshotArchive(ctx: HandlerContext): Promise<HandlerOutcome> {
  const { snapshotId, replaces } = params(ctx) as { snapshotId: string; replaces: string | null };
  const projectId = ctx.activity.projectId;
  const [snapshot] = await ctx.db.select().from(snapshots).where(eq(snapshots.id, snapshotId));
  if (!snapshot) return { ok: false, message: "The snapshot was deleted before it was made." };
  const fail = async (message: string): Promise<HandlerOutcome> => {
    fs.rmSync(snapshotTempDir(projectId, snapshotId), { recursive: true, force: true });
    await ctx.db.update(snapshots).set({ state: "failed", completedAt: new Date() }).where(eq(snapshots.id, snapshotId));
    ctx.log.line(message, "stderr");
    return { ok: false, message };
  };
  const current = currentDataPath(projectId, ctx.environment.name);
  if (!fs.existsSync(current)) return fail(`${ctx.environment.name} has no data to snapshot.`);
  const live = fs.realpathSync(current);
  ctx.log.line(`${snapshot.consistency === "consistent" ? "Consistent snapshot: no other activity runs on" : "Live snapshot: activities may keep running on"} ${ctx.environment.name} while its data is archived.`);
  const tmp = snapshotTempDir(projectId, snapshotId);
  fs.rmSync(tmp, { recursive: true, force: true });
  const started = Date.now();
  let manifest;
  try {
    manifest = await writeSnapshotArchive({
      sourceDir: live,
      targetDir: tmp,
      meta: {
        snapshotId,
        project: projectId,
        environment: ctx.environment.name,
        deployedCommit: snapshot.deployedCommit,
        consistency: snapshot.consistency,
        createdAt: snapshot.createdAt.toISOString(),
        expiresAt: snapshot.expiresAt.toISOString(),
      },
      onProgress: (done, total) => ctx.setProgress(total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0),
    });
    fs.renameSync(tmp, snapshotDir(projectId, snapshotId));
  } catch (err) {
    return fail(`The snapshot failed: ${(err as Error).message}`);
  }
  await ctx.db
    .update(snapshots)
    .set({ state: "complete", completedAt: new Date(), sizeBytes: manifest.archive.size, fileCount: manifest.files.filter((f) => f.type === "file").length })
    .where(eq(snapshots.id, snapshotId));
  ctx.setProgress(100);
  ctx.log.line(
    `Archived ${manifest.files.filter((f) => f.type === "file").length} files, ${formatBytes(manifest.totalBytes)} of data, into ${formatBytes(manifest.archive.size)} in ${((Date.now() - started) / 1000).toFixed(1)} s, with the sha256 of every file in its manifest.`,
  );
  ctx.log.line(`The snapshot expires ${snapshot.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC.`);
  if (replaces) {
    await ctx.db.delete(snapshots).where(eq(snapshots.id, replaces));
    removeSnapshotFiles(projectId, replaces);
    ctx.log.line("The oldest snapshot was deleted, as agreed: Starter keeps two per environment.");
  }
  return { ok: true };
}

async function restoreSnapshot(ctx: HandlerContext): Promise<HandlerOutcome> {
  const { snapshotId } = params(ctx) as { snapshotId: string };
  const projectId = ctx.activity.projectId;
  const [snapshot] = await ctx.db.select().from(snapshots).where(eq(snapshots.id, snapshotId));
  if (!snapshot || snapshot.state !== "complete") return { ok: false, message: "The snapshot no longer exists." };
  const root = volumesRoot(projectId, ctx.environment.name);
  const generation = newGeneration(root);
  ctx.log.line(`Verifying and unpacking the snapshot of ${snapshot.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC (commit ${snapshot.deployedCommit?.slice(0, 12) ?? "none"}) into a new place…`);
  let manifest;
  try {
    manifest = await extractSnapshotArchive({
      snapshotDir: snapshotDir(projectId, snapshotId),
      targetDir: generation,
      onProgress: (done, total) => ctx.setProgress(total > 0 ? Math.min(95, Math.floor((done / total) * 95)) : 0),
    });
  } catch (err) {
    fs.rmSync(generation, { recursive: true, force: true });
    const message = `${(err as Error).message} ${ctx.environment.name}'s data stays as it was.`;
    ctx.log.line(message, "stderr");
    return { ok: false, message };
  }
  switchGeneration(root, generation);
  ctx.log.line(`Every checksum matched (${manifest.files.filter((f) => f.type === "file").length} files, ${formatBytes(manifest.totalBytes)}); ${ctx.environment.name}'s data is now the snapshot's. Git is untouched.`);
  const commit = ctx.environment.deployedCommit ?? (await branchHead(projectId, ctx.environment.name));
  if (!commit) return { ok: true };
  const outcome = await deployCommit({ db: ctx.db, log: ctx.log, activityId: ctx.activity.id, projectId, environment: ctx.environment, commit, signal: ctx.signal, onPhase: ctx.onPhase });
  ctx.setProgress(100);
  return outcome;
}
