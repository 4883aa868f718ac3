import "server-only";
import fs from "node:fs";
import path from "node:path";
import { and, eq, isNotNull } from "drizzle-orm";
import { projects, snapshots, type Snapshot } from "@/db/schema";
import type { ActivityRunners, HandlerContext, HandlerOutcome } from "@/lib/activities/activity-runner";
import { formatBytes } from "@/lib/format-bytes";
import { removeTree } from "@/lib/paths";
import { branchHead, createBranch } from "@/lib/git/repository";
import { deployWithVariables } from "@/lib/variables/deploy-with-variables";
import { extractSnapshotArchive, writeSnapshotArchive, type SnapshotManifest } from "@/lib/runtime/snapshot-archive";
import { runningDataServices } from "@/lib/runtime/copy-environment-data";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import { BUILD_KEY, buildsDir } from "@/lib/runtime/deploy";
import { liveGeneration, newGeneration, removeStaleGenerations, serviceDataDir, switchGeneration, volumesRoot } from "@/lib/runtime/volumes";
import { runTreeTool, skippedLines } from "@/lib/tree-tool";
import type { SnapshotActivityKinds } from "./activity-kinds";
import { deleteSnapshotUnlessRestoring, snapshotDir, snapshotTempDir } from "./snapshots";
import { backupsToKeep, describeSchedule } from "./backup-schedule";
import { schedulesOf } from "./backup-settings";

/** How the snapshots domain's kinds run; a dead worker's snapshot is failed and its partial archive removed, so it is never listed as complete. */
export const snapshotActivityRunners: ActivityRunners<SnapshotActivityKinds> = {
  "environment.backup": {
    run: (ctx, p) => createSnapshotArchive(ctx, p),
    async abandon(tx, activity, parameters) {
      if (!parameters) return;
      const { snapshotId } = parameters;
      await tx.update(snapshots).set({ state: "failed", completedAt: new Date() }).where(and(eq(snapshots.id, snapshotId), eq(snapshots.state, "in_progress")));
      await removeTree(snapshotTempDir(activity.projectId, snapshotId));
    },
  },
  "environment.restore.new": {
    run: (ctx, p) => restoreIntoNew(ctx, p),
    abandon: async (_tx, activity) => {
      if (activity.environmentName) await removeStaleGenerations(activity.projectId, activity.environmentName);
    },
  },
  "environment.restore": {
    run: (ctx, p) => restoreSnapshot(ctx, p),
    // A half-unpacked new generation of data is deleted; the environment keeps its old data.
    abandon: async (_tx, activity) => {
      if (activity.environmentName) await removeStaleGenerations(activity.projectId, activity.environmentName);
    },
  },
};

type BackupParameters = { snapshotId: string; replaces: string | null; imported?: { filename: string; files: number; bytes: number; from: string | null; createdAt: string | null; commitKnown: boolean } };

async function createSnapshotArchive(ctx: HandlerContext, { snapshotId, replaces, imported }: BackupParameters): Promise<HandlerOutcome> {
  const projectId = ctx.activity.projectId;
  const [snapshot] = await ctx.db.select().from(snapshots).where(eq(snapshots.id, snapshotId));
  if (!snapshot) return { ok: false, message: "The snapshot was deleted before it was made." };
  const fail = async (message: string): Promise<HandlerOutcome> => {
    await removeTree(snapshotTempDir(projectId, snapshotId));
    await ctx.db.update(snapshots).set({ state: "failed", completedAt: new Date() }).where(eq(snapshots.id, snapshotId));
    ctx.log.line(message, "stderr");
    return { ok: false, message };
  };
  if (imported) return archiveImported(ctx, snapshot, imported, replaces, fail);
  const live = liveGeneration(projectId, ctx.environment.name);
  if (!live) return fail(`${ctx.environment.name} has no data to snapshot.`);
  const safe = snapshot.consistency === "consistent";
  const running = runningDataServices(projectId, ctx.environment.name, safe);
  ctx.log.line(
    safe
      ? `Safe snapshot: no other activity runs on ${ctx.environment.name} while its data is copied${running.length > 0 ? `, and ${running.map((s) => s.serviceId).join(", ")} ${running.length === 1 ? "is" : "are"} stopped cleanly while ${running.length === 1 ? "its" : "their"} files are copied, then started again` : ""}.`
      : `Live snapshot: nothing is paused and activities may keep running on ${ctx.environment.name}${running.length > 0 ? `; ${running.map((s) => s.serviceId).join(", ")} ${running.length === 1 ? "keeps" : "keep"} writing while ${running.length === 1 ? "its" : "their"} files are copied, so the copy may be inconsistent (a restore recovers it as after a power cut)` : ""}.`,
  );
  const tmp = snapshotTempDir(projectId, snapshotId);
  await removeTree(tmp);
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const started = Date.now();
  let manifest;
  let pausedMs: number | null = null;
  try {
    // First a copy beneath the live data that follows no link (reflinks where the file system
    // allows), then the archive of that copy, which nothing else can write. A safe snapshot
    // copies everything else first, then each running service's files while it is stopped.
    const staging = path.join(tmp, "staging");
    const held = safe ? running.map((s) => s.serviceId) : [];
    const copied = await runTreeTool("copy", [live, staging, ...held.flatMap((id) => ["--empty", `services/${id}`])]);
    for (const line of skippedLines(copied)) ctx.log.line(line, "stderr");
    if (held.length > 0) {
      const hold = await getRuntimeDriver().holdServices(projectId, ctx.environment.name, held, ctx.log, async (stopped) => {
        for (const id of stopped) {
          fs.rmdirSync(path.join(staging, "services", id));
          const files = await runTreeTool("copy", [serviceDataDir(live, id), path.join(staging, "services", id)]);
          for (const line of skippedLines(files)) ctx.log.line(line, "stderr");
        }
        return stopped;
      });
      // One that stopped on its own meanwhile is copied at rest.
      for (const id of held.filter((id) => !hold.held.includes(id))) {
        fs.rmdirSync(path.join(staging, "services", id));
        await runTreeTool("copy", [serviceDataDir(live, id), path.join(staging, "services", id)]);
      }
      pausedMs = hold.pausedMs;
      ctx.log.line(`${hold.held.join(", ")} ${hold.held.length === 1 ? "was" : "were"} stopped for ${(pausedMs / 1000).toFixed(1)} s while ${hold.held.length === 1 ? "its" : "their"} files were copied, and ${hold.held.length === 1 ? "answers" : "answer"} again.`);
    }
    manifest = await writeSnapshotArchive({
      sourceDir: staging,
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
    await removeTree(staging);
    fs.renameSync(tmp, snapshotDir(projectId, snapshotId));
  } catch (err) {
    return fail(`The snapshot failed: ${(err as Error).message}`);
  }
  return completeSnapshot(ctx, snapshot, manifest, { pausedMs, started, replaces });
}

/** An uploaded backup: its files, proved against its manifest by the request, archived as this environment's snapshot. */
async function archiveImported(ctx: HandlerContext, snapshot: Snapshot, imported: NonNullable<BackupParameters["imported"]>, replaces: string | null, fail: (message: string) => Promise<HandlerOutcome>): Promise<HandlerOutcome> {
  const projectId = ctx.activity.projectId;
  const tmp = snapshotTempDir(projectId, snapshot.id);
  const staging = path.join(tmp, "staging");
  if (!fs.lstatSync(staging, { throwIfNoEntry: false })?.isDirectory()) return fail("The imported files are gone (the server was restarted before they were archived): import the backup again.");
  ctx.log.line(
    `Imported ${imported.filename}: ${imported.files} files, ${formatBytes(imported.bytes)}${imported.from ? `, a backup of ${imported.from}` : ""}${imported.createdAt ? ` from ${imported.createdAt.slice(0, 16).replace("T", " ")} UTC` : ""}; every entry, size and sha256 matched its manifest.`,
  );
  if (!imported.commitKnown) ctx.log.line("Its deployed commit is not in this project's repository: restoring it into a new environment takes the parent's code (data only).");
  const started = Date.now();
  let manifest;
  try {
    manifest = await writeSnapshotArchive({
      sourceDir: staging,
      targetDir: tmp,
      meta: { snapshotId: snapshot.id, project: projectId, environment: ctx.environment.name, deployedCommit: snapshot.deployedCommit, consistency: snapshot.consistency, createdAt: snapshot.createdAt.toISOString(), expiresAt: snapshot.expiresAt.toISOString() },
      onProgress: (done, total) => ctx.setProgress(total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0),
    });
    await removeTree(staging);
    fs.renameSync(tmp, snapshotDir(projectId, snapshot.id));
  } catch (err) {
    return fail(`The import failed: ${(err as Error).message}`);
  }
  return completeSnapshot(ctx, snapshot, manifest, { pausedMs: null, started, replaces });
}

async function completeSnapshot(ctx: HandlerContext, snapshot: Snapshot, manifest: SnapshotManifest, { pausedMs, started, replaces }: { pausedMs: number | null; started: number; replaces: string | null }): Promise<HandlerOutcome> {
  const projectId = ctx.activity.projectId;
  const snapshotId = snapshot.id;
  await ctx.db
    .update(snapshots)
    .set({
      state: "complete",
      completedAt: new Date(),
      servicePauseMs: pausedMs,
      // The data's own size (its files' bytes), not the archive's, which tar pads to whole records.
      sizeBytes: manifest.files.reduce((sum, f) => sum + (f.type === "file" ? f.size : 0), 0),
      fileCount: manifest.files.filter((f) => f.type === "file").length,
    })
    .where(eq(snapshots.id, snapshotId));
  ctx.setProgress(100);
  ctx.log.line(
    `Archived ${manifest.files.filter((f) => f.type === "file").length} files, ${formatBytes(manifest.totalBytes)} of data, into ${formatBytes(manifest.archive.size)} in ${((Date.now() - started) / 1000).toFixed(1)} s, with the sha256 of every file in its manifest.`,
  );
  ctx.log.line(`The snapshot expires ${snapshot.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC.`);
  if (replaces) {
    ctx.log.line(
      (await deleteSnapshotUnlessRestoring(ctx.db, projectId, replaces))
        ? "The oldest manual snapshot was deleted, as agreed: the project keeps this many per environment."
        : "The oldest manual snapshot is kept for now: a restore from it is waiting or running. Delete it once that restore has ended.",
    );
  }
  if (snapshot.scheduledFor) await applyRetention(ctx, snapshot.id, snapshot.scheduledFor.getTime());
  return { ok: true };
}

/** After an automated backup (due at `at`): the automated backups of the environment its type's schedule no longer keeps as of then are deleted, each said in the log. */
async function applyRetention(ctx: HandlerContext, justMade: string, at: number): Promise<void> {
  const projectId = ctx.activity.projectId;
  const [project] = await ctx.db.select({ backupSchedules: projects.backupSchedules }).from(projects).where(eq(projects.id, projectId));
  const entries = schedulesOf(project?.backupSchedules)[ctx.environment.type];
  const automated = await ctx.db
    .select({ id: snapshots.id, scheduledFor: snapshots.scheduledFor })
    .from(snapshots)
    .where(and(eq(snapshots.environmentId, ctx.environment.id), eq(snapshots.state, "complete"), isNotNull(snapshots.scheduledFor)));
  const keep = backupsToKeep(entries, automated.map((s) => ({ id: s.id, at: s.scheduledFor!.getTime() })), at);
  keep.add(justMade);
  const gone = automated.filter((s) => !keep.has(s.id));
  for (const s of gone) {
    const at = s.scheduledFor!.toISOString().slice(0, 16).replace("T", " ");
    ctx.log.line(
      (await deleteSnapshotUnlessRestoring(ctx.db, projectId, s.id))
        ? `Deleted the automated backup of ${at} UTC: the schedule (${describeSchedule(entries)}) no longer keeps it.`
        : `Kept the automated backup of ${at} UTC for now, though the schedule no longer keeps it: a restore from it is waiting or running. The next backup deletes it.`,
    );
  }
  ctx.log.line(`The schedule keeps ${keep.size} automated backup${keep.size === 1 ? "" : "s"} of ${ctx.environment.name} (${describeSchedule(entries)}).`);
}

/** Restore into a new environment: its branch, the snapshot's data, its deploy; the snapshot's own environment is not touched. */
async function restoreIntoNew(ctx: HandlerContext, p: { snapshotId: string; parent: string; code: boolean }): Promise<HandlerOutcome> {
  const projectId = ctx.activity.projectId;
  const [snapshot] = await ctx.db.select().from(snapshots).where(eq(snapshots.id, p.snapshotId));
  if (!snapshot || snapshot.state !== "complete") return { ok: false, message: "The snapshot no longer exists." };
  const parentHead = await branchHead(projectId, p.parent);
  const commit = p.code && snapshot.deployedCommit ? snapshot.deployedCommit : parentHead;
  if (!commit) return { ok: false, message: `${p.parent} has no commit to start from.` };
  await createBranch(projectId, ctx.environment.name, commit);
  ctx.log.line(
    p.code && snapshot.deployedCommit
      ? `Created branch ${ctx.environment.name} at the snapshot's commit ${commit.slice(0, 12)} (its parent is ${p.parent}).`
      : `Created branch ${ctx.environment.name} from ${p.parent} at ${commit.slice(0, 12)}${p.code ? " (the snapshot has no deployed commit)" : " (data only: the code is the parent's)"}.`,
  );
  const restored = await putSnapshotData(ctx, snapshot);
  if (!restored.ok) return restored;
  // Code and data: the very build the backup was taken with, when it is still kept (else built from its commit).
  const build = p.code && commit === snapshot.deployedCommit && snapshot.buildKey && BUILD_KEY.test(snapshot.buildKey) && fs.existsSync(path.join(buildsDir(projectId), snapshot.buildKey, ".build-complete")) ? { deploymentId: null, buildKey: snapshot.buildKey } : undefined;
  const outcome = await deployWithVariables(ctx, ctx.environment, commit, build);
  ctx.setProgress(100);
  return outcome;
}

async function restoreSnapshot(ctx: HandlerContext, { snapshotId }: { snapshotId: string }): Promise<HandlerOutcome> {
  const projectId = ctx.activity.projectId;
  const [snapshot] = await ctx.db.select().from(snapshots).where(eq(snapshots.id, snapshotId));
  if (!snapshot || snapshot.state !== "complete") return { ok: false, message: "The snapshot no longer exists." };
  const restored = await putSnapshotData(ctx, snapshot);
  if (!restored.ok) return restored;
  const commit = ctx.environment.deployedCommit ?? (await branchHead(projectId, ctx.environment.name));
  if (!commit) return { ok: true };
  const outcome = await deployWithVariables(ctx, ctx.environment, commit);
  ctx.setProgress(100);
  return outcome;
}

/** Verifies and unpacks the snapshot into a new generation of the environment's data, stops its services, and switches to it. */
async function putSnapshotData(ctx: HandlerContext, snapshot: Snapshot): Promise<HandlerOutcome> {
  const projectId = ctx.activity.projectId;
  const snapshotId = snapshot.id;
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
    await removeTree(generation);
    const message = `${(err as Error).message} ${ctx.environment.name}'s data stays as it was.`;
    ctx.log.line(message, "stderr");
    return { ok: false, message };
  }
  // Nothing may run on the data being replaced: the deploy below starts the services again on the snapshot's.
  await getRuntimeDriver().stopServices(projectId, ctx.environment.name, `${ctx.environment.name}'s data is being replaced by a snapshot's: stopping its services until its deploy starts them on it.`);
  await switchGeneration(root, generation);
  ctx.log.line(`Every checksum matched (${manifest.files.filter((f) => f.type === "file").length} files, ${formatBytes(manifest.totalBytes)}); ${ctx.environment.name}'s data is now the snapshot's.${ctx.activity.type === "environment.restore" ? " Git is untouched." : ""}`);
  return { ok: true };
}

