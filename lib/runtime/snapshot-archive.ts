import "server-only";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { childProcessEnv } from "@/lib/env";
import { TarHasher, type ArchiveEntry } from "./tar-hasher";
import { directoryBytes } from "./volumes";

export const ARCHIVE_FILE = "data.tar";
const NEW_FILE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
export const MANIFEST_FILE = "manifest.json";

export interface SnapshotManifest {
  version: 1;
  snapshotId: string;
  project: string;
  environment: string;
  deployedCommit: string | null;
  consistency: "consistent" | "live";
  createdAt: string;
  expiresAt: string;
  /** The archive's size; its integrity is proven member by member (tar's header checksums, every file's sha256). */
  archive: { file: string; size: number };
  totalBytes: number;
  files: ArchiveEntry[];
}

type Progress = (done: number, total: number) => void;

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOSPC") return "the disk is full (No space left on device)";
  return e.message ?? String(err);
}

/**
 * Reads `file` from the start as another process writes it, handing each chunk to `see`, until
 * `ended` settles and everything written has been read. The writer only appends (tar), and the
 * kernel grows a file's size only past bytes already in it, so every byte read is final.
 */
async function followFile(file: string, ended: Promise<unknown>, see: (chunk: Buffer) => void): Promise<void> {
  const fd = await fs.promises.open(file, "r");
  let done = false;
  void ended.finally(() => (done = true));
  try {
    let position = 0;
    for (;;) {
      const wasDone = done;
      const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
      const { bytesRead } = await fd.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        see(buffer.subarray(0, bytesRead));
        continue;
      }
      if (wasDone) return; // the writer had ended before this read found nothing more
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await fd.close();
  }
}

/**
 * Archives `sourceDir` into `targetDir`/data.tar with `tar` and, while tar writes it, hashes
 * the archive and every file in it for the manifest (reading it behind tar, from the page cache,
 * on another core: the archive costs about what `tar -cf` does). Progress is bytes archived of
 * the data's size.
 */
export async function writeSnapshotArchive(options: {
  sourceDir: string;
  targetDir: string;
  meta: Omit<SnapshotManifest, "version" | "archive" | "files" | "totalBytes">;
  onProgress?: Progress;
}): Promise<SnapshotManifest> {
  fs.mkdirSync(options.targetDir, { recursive: true });
  const total = await directoryBytes(options.sourceDir);
  const archive = path.join(options.targetDir, ARCHIVE_FILE);
  // A new file, never through a link (O_EXCL): the target folder is the server's own, and tar writes into this very file.
  fs.closeSync(fs.openSync(archive, NEW_FILE, 0o600));
  // 1 MiB records: tar writes the archive in large blocks.
  const tar = spawn("tar", ["-cf", archive, "--format=gnu", "--blocking-factor=2048", "-C", options.sourceDir, "."], { env: childProcessEnv({ LC_ALL: "C" }), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  tar.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => {
    tar.once("close", (code) => resolve(code));
    tar.once("error", () => resolve(null));
  });
  const hasher = new TarHasher();
  let lastReport = 0;
  try {
    await followFile(archive, exited, (chunk) => {
      hasher.push(chunk);
      if (options.onProgress && Date.now() - lastReport > 500) {
        lastReport = Date.now();
        options.onProgress(hasher.bytes, total);
      }
    });
  } catch (err) {
    tar.kill("SIGKILL");
    throw new Error(`Writing the archive failed: ${reason(err)}.`);
  }
  const code = await exited;
  // tar writes the archive itself: a full disk is its write failing.
  if (code !== 0 && /No space left on device/.test(stderr)) throw new Error("Writing the archive failed: the disk is full (No space left on device).");
  if (code !== 0) throw new Error(`tar could not read the data (exit ${code}): ${stderr.trim() || "no message"}.`);
  hasher.end();
  try {
    const fd = fs.openSync(path.join(options.targetDir, ARCHIVE_FILE), "r");
    fs.fsyncSync(fd); // on disk before the snapshot is called complete
    fs.closeSync(fd);
  } catch (err) {
    throw new Error(`Writing the archive failed: ${reason(err)}.`);
  }
  const manifest: SnapshotManifest = {
    version: 1,
    ...options.meta,
    archive: { file: ARCHIVE_FILE, size: fs.statSync(path.join(options.targetDir, ARCHIVE_FILE)).size },
    totalBytes: hasher.entries.reduce((n, e) => n + e.size, 0),
    files: hasher.entries,
  };
  try {
    const manifestPath = path.join(options.targetDir, MANIFEST_FILE);
    const out = fs.openSync(manifestPath, NEW_FILE, 0o600);
    try {
      fs.writeFileSync(out, JSON.stringify(manifest));
    } finally {
      fs.closeSync(out);
    }
    const fd = fs.openSync(manifestPath, "r");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch (err) {
    throw new Error(`Writing the manifest failed: ${reason(err)}.`);
  }
  options.onProgress?.(total, total);
  return manifest;
}

export class CorruptSnapshotError extends Error {}

export function readManifest(snapshotDir: string): SnapshotManifest {
  let text: string;
  try {
    text = fs.readFileSync(path.join(snapshotDir, MANIFEST_FILE), "utf8");
  } catch {
    throw new CorruptSnapshotError("The snapshot's manifest is missing: the snapshot cannot be restored.");
  }
  try {
    const manifest = JSON.parse(text) as SnapshotManifest;
    if (manifest.version !== 1 || !Array.isArray(manifest.files)) throw new Error("shape");
    return manifest;
  } catch {
    throw new CorruptSnapshotError("The snapshot's manifest is unreadable: the snapshot cannot be restored.");
  }
}

/**
 * Extracts a snapshot into `targetDir` (a new, empty place) and proves it: the archive's
 * sha256 and every file's sha256 and size must match the manifest. Any difference throws
 * CorruptSnapshotError; the caller then discards `targetDir`, so the data stays as it was.
 */
export async function extractSnapshotArchive(options: { snapshotDir: string; targetDir: string; onProgress?: Progress }): Promise<SnapshotManifest> {
  const manifest = readManifest(options.snapshotDir);
  const archivePath = path.join(options.snapshotDir, ARCHIVE_FILE);
  const stat = fs.statSync(archivePath, { throwIfNoEntry: false });
  if (!stat) throw new CorruptSnapshotError("The snapshot's archive is missing: the snapshot cannot be restored.");
  if (stat.size !== manifest.archive.size) {
    throw new CorruptSnapshotError(`The snapshot's archive is ${stat.size} bytes where its manifest says ${manifest.archive.size}: it is damaged and cannot be restored.`);
  }
  fs.mkdirSync(options.targetDir, { recursive: true });
  // tar reads the archive itself while this process reads it beside tar (the page cache serves
  // both) and proves every member; the extracted folder is used only once both agree.
  const tar = spawn("tar", ["-xf", archivePath, "--blocking-factor=2048", "-C", options.targetDir], { env: childProcessEnv({ LC_ALL: "C" }), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  tar.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => {
    tar.once("close", (code) => resolve(code));
    tar.once("error", () => resolve(null));
  });
  const hasher = new TarHasher();
  let lastReport = 0;
  let pumpError: unknown = null;
  try {
    for await (const chunk of fs.createReadStream(archivePath, { highWaterMark: 4 * 1024 * 1024 }) as AsyncIterable<Buffer>) {
      hasher.push(chunk);
      if (options.onProgress && Date.now() - lastReport > 500) {
        lastReport = Date.now();
        options.onProgress(hasher.bytes, stat.size);
      }
    }
  } catch (err) {
    pumpError = err;
    tar.kill("SIGKILL");
  }
  const code = await exited;
  if ((pumpError !== null || code !== 0) && /checksum|unexpected|damaged|skipping|not look like|invalid/i.test(stderr)) {
    throw new CorruptSnapshotError(`The snapshot's archive is damaged (tar: ${stderr.trim().split("\n")[0]}): it cannot be restored.`);
  }
  if (pumpError) throw new Error(`Extracting the archive failed: ${reason(pumpError)}.`);
  if (code !== 0) throw new Error(`tar could not extract the archive (exit ${code}): ${stderr.trim() || "no message"}.`);
  try {
    hasher.end();
  } catch (e) {
    throw new CorruptSnapshotError((e as Error).message);
  }
  const seen = new Map(hasher.entries.map((e) => [e.path, e]));
  if (hasher.entries.length !== manifest.files.length) {
    throw new CorruptSnapshotError(`The snapshot's archive holds ${hasher.entries.length} entries where its manifest lists ${manifest.files.length}: it is damaged and cannot be restored.`);
  }
  for (const expected of manifest.files) {
    const got = seen.get(expected.path);
    if (!got || got.type !== expected.type || got.size !== expected.size || got.sha256 !== expected.sha256) {
      throw new CorruptSnapshotError(`${expected.path} does not match the snapshot's manifest: the snapshot is damaged and cannot be restored.`);
    }
  }
  options.onProgress?.(stat.size, stat.size);
  return manifest;
}


