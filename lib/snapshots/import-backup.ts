import "server-only";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Db } from "@/db/client";
import { eq } from "drizzle-orm";
import { snapshots, type Activity, type Snapshot } from "@/db/schema";
import { lockProject } from "@/lib/activities/queue";
import { notifyProjectChange } from "@/lib/activities/notify";
import { notifyWorkers } from "@/lib/activities/wake";
import { hasRole, type SessionUser } from "@/lib/auth/permissions";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { childProcessEnv } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import { getEnvironmentByName } from "@/lib/environments/queries";
import { formatBytes } from "@/lib/format-bytes";
import { treeOf } from "@/lib/git/repository";
import { removeTree } from "@/lib/paths";
import { recordBackup, SNAPSHOT_TTL_MS, snapshotLimit, snapshotsRoot, snapshotTempDir } from "./snapshots";

/** The most data one imported backup may hold, and the most entries (files, folders, links). */
export const IMPORT_MAX_BYTES = 10 * 1024 ** 3;
/** (A manifest of 64 MiB, import-child.mjs's limit, lists about 400,000.) */
export const IMPORT_MAX_ENTRIES = 250_000;
/** The archive around the data: its manifest (≤ 64 MiB), tar headers (≤ 1.5 KiB per entry with long names) and padding. */
const ARCHIVE_OVERHEAD = 64 * 1024 ** 2 + IMPORT_MAX_ENTRIES * 2048;
/** The disk an import leaves free: it writes the files, then their archive. */
const DISK_RESERVE = 1024 ** 3;
/** In the import's folder while its upload runs, touched every minute: the sweep (sweepOrphanImports) leaves such a folder alone. */
const HEARTBEAT = ".importing";
const HEARTBEAT_MS = 60_000;

/** This process's imports in flight: one per project at a time, each holding its disk until it ends. */
const inFlight = new Map<string, number>();

const CHILD = path.join(process.cwd(), "lib", "snapshots", "import-child.mjs");

interface ChildReport {
  files: number;
  bytes: number;
  entries: number;
  meta: { project: string | null; environment: string | null; deployedCommit: string | null; consistency: "consistent" | "live"; createdAt: string | null };
}

/** The import's staging folder: the data's files, proved against the manifest, waiting for the worker to archive them. */
export function importStagingDir(projectId: string, snapshotId: string): string {
  return path.join(snapshotTempDir(projectId, snapshotId), "staging");
}

/** A file name as the user gave it, for the log: printable, at most 120 characters. */
function displayName(name: string): string {
  const clean = [...name].filter((c) => c >= " " && c !== "\u007f").join("").trim().slice(0, 120);
  return clean || "the uploaded archive";
}

/**
 * Imports a backup archive (as Download makes it) into `environmentName`'s backups: admin of the
 * environment's type, within the project's manual-backup limit. The body is read by a process of
 * its own (import-child.mjs), which proves every entry against the archive's manifest (paths,
 * types, sizes, sha256) and writes the files into a staging folder; anything wrong refuses the
 * whole archive with its sentence and removes the staging folder, so nothing is listed or
 * replaced. Then a backup activity archives the staging folder as a snapshot of the environment
 * (the worker's own `tar` of files this process wrote, never the uploaded archive), restorable in
 * place or into a new environment like any other.
 */
export async function importBackup(
  db: Db,
  user: SessionUser,
  projectId: string,
  environmentName: string,
  body: ReadableStream<Uint8Array> | null,
  input: { filename: string; replaceOldest: boolean; contentLength: number | null; signal?: AbortSignal },
): Promise<{ activity: Activity; snapshot: Snapshot }> {
  const access = await requireProjectAccess(db, user, projectId);
  const env = await getEnvironmentByName(db, projectId, environmentName);
  if (!env) throw new DomainError("not_found", "This environment does not exist.");
  if (!hasRole(access.environmentRoles[env.type], "admin")) throw new DomainError("forbidden", `Importing a backup needs the admin role on ${env.type} environments.`);
  const checkLimit = async (executor: Parameters<typeof snapshotLimit>[0]) => {
    const { replaces, limit } = await snapshotLimit(executor, access, env);
    if (limit === 0) throw new DomainError("conflict", "This project keeps no manual backups (its Settings say 0): an imported backup would be one.");
    if (replaces && !input.replaceOldest) throw new DomainError("conflict", `This project keeps ${limit} manual backups per environment. Importing this one deletes the oldest (${replaces.createdAt.slice(0, 16).replace("T", " ")} UTC): confirm to go on.`);
    return replaces;
  };
  await checkLimit(db);
  if (!body) throw new DomainError("invalid", "Send the backup archive (a .backup.tar downloaded from this console) as the request's body.");
  if (input.contentLength === null) throw new DomainError("length_required", "Send the archive with its Content-Length (as browsers and `curl -T` do): the server reserves its disk before reading it.");
  const maxUpload = IMPORT_MAX_BYTES + ARCHIVE_OVERHEAD;
  if (input.contentLength > maxUpload) throw new DomainError("too_large", `This archive is ${formatBytes(input.contentLength)}: an imported backup holds at most ${formatBytes(IMPORT_MAX_BYTES)} of data.`);
  if (inFlight.has(projectId)) throw new DomainError("conflict", "Another backup is being imported into this project: wait until it has arrived, then import this one.");
  const root = snapshotsRoot(projectId);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  // Its files, then their archive, beside what the other imports here hold, and a reserve.
  const need = input.contentLength * 2;
  const held = [...inFlight.values()].reduce((a, b) => a + b, 0);
  const free = (() => {
    const s = fs.statfsSync(root);
    return s.bavail * s.bsize;
  })();
  if (free < need + held + DISK_RESERVE) throw new DomainError("conflict", `The server's disk has ${formatBytes(free)} free: importing this archive needs ${formatBytes(need)} (its files, then their archive)${held ? `, other imports hold ${formatBytes(held)}` : ""}, and ${formatBytes(DISK_RESERVE)} stays spare.`);

  const snapshotId = crypto.randomUUID();
  const staging = importStagingDir(projectId, snapshotId);
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
  const heartbeat = path.join(snapshotTempDir(projectId, snapshotId), HEARTBEAT);
  fs.writeFileSync(heartbeat, "");
  const beat = setInterval(() => fs.promises.utimes(heartbeat, new Date(), new Date()).catch(() => undefined), HEARTBEAT_MS);
  inFlight.set(projectId, need);
  try {
    const report = await runImportChild(staging, body, Math.min(maxUpload, input.contentLength), input.signal);
    const filename = displayName(input.filename);
    const commit = report.meta.deployedCommit && (await treeOf(projectId, report.meta.deployedCommit).then(() => true, () => false)) ? report.meta.deployedCommit : null;
    const result = await db.transaction(async (tx) => {
      await lockProject(tx, projectId);
      const current = await getEnvironmentByName(tx, projectId, environmentName);
      if (!current || current.id !== env.id) throw new DomainError("not_found", "This environment was deleted meanwhile.");
      const replaces = await checkLimit(tx);
      const recorded = await recordBackup(tx, current, {
        snapshotId,
        consistency: report.meta.consistency,
        description: `Import of ${filename} into the backups of ${env.name}`,
        deployedCommit: commit,
        buildKey: null,
        createdBy: user.id,
        expiresAt: new Date(Date.now() + SNAPSHOT_TTL_MS),
        replaces: replaces?.id ?? null,
        imported: { filename, files: report.files, bytes: report.bytes, from: report.meta.environment, createdAt: report.meta.createdAt, commitKnown: commit !== null },
      });
      await notifyProjectChange(tx, projectId, "snapshots", env.type);
      return recorded!;
    });
    fs.rmSync(heartbeat, { force: true });
    notifyWorkers();
    return result;
  } catch (err) {
    await removeTree(snapshotTempDir(projectId, snapshotId)).catch(() => undefined);
    throw err;
  } finally {
    clearInterval(beat);
    inFlight.delete(projectId);
  }
}

/**
 * Removes import folders a server left behind (it died during an upload, before the backup was
 * recorded): a snapshot's `.partial` folder with no snapshot row being made, whose upload has not
 * touched its heartbeat for ten minutes. Run with the workers' upkeep.
 */
export async function sweepOrphanImports(db: Db, now = Date.now()): Promise<number> {
  const top = path.dirname(snapshotsRoot("x"));
  let removed = 0;
  let projects: string[] = [];
  try {
    projects = fs.readdirSync(top);
  } catch {
    return 0;
  }
  for (const project of projects) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(path.join(top, project)).filter((n) => /^[0-9a-f-]{36}\.partial$/.test(n));
    } catch {
      continue;
    }
    for (const name of names) {
      const id = name.slice(0, 36);
      const dir = path.join(top, project, name);
      const beat = fs.lstatSync(path.join(dir, HEARTBEAT), { throwIfNoEntry: false }) ?? fs.lstatSync(dir, { throwIfNoEntry: false });
      if (!beat || now - beat.mtimeMs < 10 * 60_000) continue;
      const [row] = await db.select({ state: snapshots.state }).from(snapshots).where(eq(snapshots.id, id));
      if (row?.state === "in_progress") continue;
      await removeTree(dir).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

/** Streams `body` into the import process; its sentence when it refuses. */
async function runImportChild(staging: string, body: ReadableStream<Uint8Array>, maxUpload: number, signal?: AbortSignal): Promise<ChildReport> {
  const child = spawn(process.execPath, ["--max-old-space-size=512", /* turbopackIgnore: true */ CHILD, staging, String(IMPORT_MAX_BYTES), String(IMPORT_MAX_ENTRIES)], {
    env: childProcessEnv({}),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout = (stdout + d).slice(-65_536)));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-65_536)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code, sig) => resolve({ code, signal: sig })));
  const kill = () => child.kill("SIGKILL");
  signal?.addEventListener("abort", kill, { once: true });
  let received = 0;
  let overLimit = false;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > maxUpload) {
        overLimit = true;
        done(new Error("over the limit"));
        return;
      }
      done(null, chunk);
    },
  });
  let sendError: Error | null = null;
  try {
    await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), count, child.stdin!);
  } catch (err) {
    // The child refused and closed its input (EPIPE), or the upload broke off or passed the limit.
    sendError = err as Error;
    if (overLimit || signal?.aborted) kill();
  } finally {
    signal?.removeEventListener("abort", kill);
  }
  const exit = await exited;
  if (overLimit) throw new DomainError("too_large", `The archive is over ${formatBytes(maxUpload)}: an imported backup holds at most ${formatBytes(IMPORT_MAX_BYTES)} of data.`);
  if (signal?.aborted) throw new DomainError("invalid", "The upload was cancelled: nothing was imported.");
  if (exit.code === 0) {
    const line = stdout.trim().split("\n").at(-1) ?? "";
    return JSON.parse(line) as ChildReport;
  }
  const said = stderr.trim().split("\n")[0];
  if (exit.code === 1 && said) throw new DomainError("invalid", `${said} Nothing was imported.`);
  if (sendError && !said) throw new DomainError("invalid", `The upload broke off (${sendError.message}): nothing was imported.`);
  throw new Error(`The import stopped (${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`})${said ? `: ${said}` : ""}.`);
}
