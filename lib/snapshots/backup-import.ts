/**
 * Importing a backup: a `.backup.tar` as Download gives it (its `manifest.json`, then its
 * `data.tar`, nothing else) is received as a stream, checked, and kept as a complete snapshot of
 * the environment it was uploaded to; restoring it (in place or into a new environment) then
 * goes as for any snapshot, verifying every checksum again while it unpacks. Nothing is replaced
 * by the import itself. The upload is hostile until proven otherwise:
 * - the outer archive is read by this module's own parser (header checksums, two regular members
 *   by those names, sizes bounded: the manifest 16 MiB, the whole BACKUP_IMPORT_MAX_MB), never by
 *   a program that would write what it says;
 * - the manifest is checked against its schema, and `data.tar` member by member against it (the
 *   same count, every path, type, size and sha256), with no absolute path, no `..`, no symbolic
 *   link that leads outside the data, and no hard link, device or other special member;
 * - a truncated, oversized or mismatching upload is refused with a sentence, and its files are
 *   removed; nothing is kept until every check passed.
 */
import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Db } from "@/db/client";
import { snapshots, type Environment, type Snapshot } from "@/db/schema";
import { notifyProjectChange } from "@/lib/activities/notify";
import { hasRole, canSeeEnvironmentType, type ProjectAccess, type SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { gitOrNull } from "@/lib/git/git";
import { repositoryPath } from "@/lib/git/repository";
import { removeTree } from "@/lib/paths";
import { ARCHIVE_FILE, MANIFEST_FILE } from "@/lib/runtime/snapshot-archive";
import { TarHasher, type ArchiveEntry } from "@/lib/runtime/tar-hasher";
import { snapshotDir, snapshotsRoot, SNAPSHOT_TTL_MS } from "./snapshots";

const MIB = 1024 * 1024;
export const MAX_MANIFEST_BYTES = 16 * MIB;
const MAX_FILES = 1_000_000;

export class ImportRefused extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

const manifestSchema = z.object({
  version: z.literal(1),
  snapshotId: z.string().max(100),
  project: z.string().max(100),
  environment: z.string().max(100),
  deployedCommit: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
  consistency: z.enum(["consistent", "live"]),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  archive: z.object({ file: z.literal(ARCHIVE_FILE), size: z.number().int().min(0) }),
  totalBytes: z.number().int().min(0),
  files: z
    .array(
      z.object({
        path: z.string().min(1).max(4096),
        type: z.enum(["file", "directory", "symlink"]),
        size: z.number().int().min(0),
        sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
        linkTarget: z.string().max(4096).optional(),
      }),
    )
    .max(MAX_FILES),
});
type Manifest = z.infer<typeof manifestSchema>;

/** Why a member's path or link would reach outside the data it is restored into, or null. Pure. */
export function unsafeMember(entry: Pick<ArchiveEntry, "path" | "type" | "linkTarget">): string | null {
  if (entry.type === "other") return `${entry.path.slice(0, 200)} is a hard link, device or other special file, which an imported backup may not hold.`;
  if (entry.path.includes("\0") || entry.path.startsWith("/") || entry.path.split("/").some((p) => p === ".." || p === "")) return `${JSON.stringify(entry.path.slice(0, 200))} is not a path inside the backup's data.`;
  if (entry.type === "symlink") {
    const target = entry.linkTarget ?? "";
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(entry.path), target));
    if (!target || target.includes("\0") || target.startsWith("/") || resolved === ".." || resolved.startsWith("../")) return `${entry.path.slice(0, 200)} is a link that leads outside the backup's data (${JSON.stringify(target.slice(0, 200))}).`;
  }
  return null;
}

/** One 512-byte tar header, checked (its checksum), or null for a block of zeros. */
function readHeader(h: Buffer): { name: string; size: number; flag: string } | null {
  if (h.every((b) => b === 0)) return null;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  const stored = Number.parseInt(h.subarray(148, 156).toString("latin1").replace(/\0.*$/, "").trim(), 8);
  if (stored !== sum) throw new ImportRefused("The upload is not a tar archive (a header's checksum does not match): upload the .backup.tar that Download gives.");
  const zero = h.indexOf(0);
  const name = h.subarray(0, Math.min(zero === -1 ? 100 : zero, 100)).toString("utf8");
  const sizeField = h.subarray(124, 136);
  if (sizeField[0]! & 0x80) throw new ImportRefused("The upload holds a member too large to import.", 413);
  const size = Number.parseInt(sizeField.toString("latin1").replace(/\0.*$/, "").trim() || "0", 8);
  if (!Number.isSafeInteger(size) || size < 0) throw new ImportRefused("The upload's tar header gives no size.");
  return { name, size, flag: String.fromCharCode(h[156]!) };
}

/**
 * Receives the outer archive from `body` into `dir` (new, empty): the manifest in memory (returned),
 * the data archive as a file. At most `maxBytes` in all, whatever any header says.
 */
async function receive(body: AsyncIterable<Uint8Array>, dir: string, maxBytes: number): Promise<{ manifestText: string; dataBytes: number }> {
  const expected = [MANIFEST_FILE, ARCHIVE_FILE];
  let received = 0;
  let header = Buffer.alloc(0);
  let member: { name: string; left: number; padding: number } | null = null;
  let padding = 0;
  const manifest: Buffer[] = [];
  let manifestBytes = 0;
  let data: fs.promises.FileHandle | null = null;
  let dataBytes = 0;
  let ended = false;
  let zeros = 0;
  try {
    for await (const raw of body) {
      let chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      received += chunk.length;
      if (received > maxBytes) throw new ImportRefused(`The upload is larger than ${Math.round(maxBytes / MIB)} MiB (BACKUP_IMPORT_MAX_MB): nothing was kept.`, 413);
      while (chunk.length > 0) {
        if (ended) {
          // After the end marker only zeros (tar pads to its record size).
          if (chunk.some((b) => b !== 0)) throw new ImportRefused("The upload holds more after its end: upload the .backup.tar that Download gives.");
          chunk = Buffer.alloc(0);
          break;
        }
        if (member && member.left > 0) {
          const part = chunk.subarray(0, Math.min(member.left, chunk.length));
          if (member.name === MANIFEST_FILE) manifest.push(Buffer.from(part));
          else await data!.write(part);
          member.left -= part.length;
          chunk = chunk.subarray(part.length);
          if (member.left === 0) {
            padding = member.padding;
            member = null;
          }
          continue;
        }
        if (padding > 0) {
          const n = Math.min(padding, chunk.length);
          padding -= n;
          chunk = chunk.subarray(n);
          continue;
        }
        const need = 512 - header.length;
        header = Buffer.concat([header, chunk.subarray(0, need)]);
        chunk = chunk.subarray(Math.min(need, chunk.length));
        if (header.length < 512) continue;
        const h = readHeader(header);
        header = Buffer.alloc(0);
        if (!h) {
          zeros++;
          if (zeros === 2) ended = true;
          continue;
        }
        if (zeros > 0) throw new ImportRefused("The upload's archive is damaged (a member after an empty block).");
        const wanted = expected.shift();
        if (h.name !== wanted || (h.flag !== "0" && h.flag !== "\0")) {
          throw new ImportRefused(`The upload must hold ${MANIFEST_FILE}, then ${ARCHIVE_FILE}, as plain files and nothing else (it has ${JSON.stringify(h.name.slice(0, 80))}${h.flag !== "0" && h.flag !== "\0" ? ", not a plain file" : ""}): upload the .backup.tar that Download gives.`);
        }
        if (h.name === MANIFEST_FILE) {
          if (h.size > MAX_MANIFEST_BYTES) throw new ImportRefused(`The backup's manifest is over ${MAX_MANIFEST_BYTES / MIB} MiB.`, 413);
          manifestBytes = h.size;
        } else {
          if (h.size > maxBytes) throw new ImportRefused(`The upload is larger than ${Math.round(maxBytes / MIB)} MiB (BACKUP_IMPORT_MAX_MB): nothing was kept.`, 413);
          dataBytes = h.size;
          data = await fs.promises.open(path.join(dir, ARCHIVE_FILE), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
        }
        member = { name: h.name, left: h.size, padding: (512 - (h.size % 512)) % 512 };
        if (h.size === 0) member = null;
      }
    }
  } finally {
    await data?.close();
  }
  if (!ended || member || expected.length > 0) throw new ImportRefused("The upload is truncated (it ends before its archive does): nothing was kept.");
  const manifestText = Buffer.concat(manifest).toString("utf8");
  if (Buffer.byteLength(manifestText) !== manifestBytes) throw new ImportRefused("The upload is truncated: nothing was kept.");
  return { manifestText, dataBytes };
}

/** Proves `data.tar` against the manifest, member by member, without writing any of it anywhere. */
async function checkData(file: string, manifest: Manifest): Promise<ArchiveEntry[]> {
  const hasher = new TarHasher();
  for await (const chunk of fs.createReadStream(file, { highWaterMark: MIB })) {
    hasher.push(chunk as Buffer);
    if (hasher.entries.length > MAX_FILES) throw new ImportRefused(`The backup's archive holds more than ${MAX_FILES.toLocaleString("en-US")} entries.`);
  }
  try {
    hasher.end();
  } catch (e) {
    throw new ImportRefused(`${(e as Error).message} Nothing was kept.`);
  }
  for (const entry of hasher.entries) {
    const unsafe = unsafeMember(entry);
    if (unsafe) throw new ImportRefused(`${unsafe} Nothing was kept.`);
  }
  if (hasher.entries.length !== manifest.files.length) throw new ImportRefused(`The backup's archive holds ${hasher.entries.length} entries where its manifest lists ${manifest.files.length}: it is damaged. Nothing was kept.`);
  const seen = new Map(hasher.entries.map((e) => [e.path, e]));
  for (const expected of manifest.files) {
    const got = seen.get(expected.path);
    if (!got || got.type !== expected.type || got.size !== expected.size || (expected.type === "file" && got.sha256 !== expected.sha256) || (expected.type === "symlink" && got.linkTarget !== expected.linkTarget)) {
      throw new ImportRefused(`${expected.path.slice(0, 200)} does not match the backup's manifest (its size or sha256 differs, or it is missing): the backup is damaged. Nothing was kept.`);
    }
  }
  return hasher.entries;
}

let importing = 0;
/** At most this many imports at once in this process (each reads and hashes its whole upload). */
const MAX_IMPORTS = 2;

/**
 * Imports an uploaded backup as a complete snapshot of `env` (admins of its type). Its commit is
 * kept when this project's repository has it (a restore into a new environment starts from it);
 * otherwise it is dropped, and the answer says so.
 */
export async function importBackup(db: Db, user: SessionUser, access: ProjectAccess, env: Environment, body: AsyncIterable<Uint8Array>, options: { maxBytes: number; declaredBytes: number | null }): Promise<{ snapshot: Snapshot; note: string | null }> {
  if (!canSeeEnvironmentType(access, env.type)) throw new DomainError("not_found", "This environment does not exist.");
  if (!hasRole(access.environmentRoles[env.type], "admin")) throw new DomainError("forbidden", `Importing a backup needs the admin role on ${env.title}'s environment type.`);
  if (options.declaredBytes !== null && options.declaredBytes > options.maxBytes) throw new ImportRefused(`The upload is larger than ${Math.round(options.maxBytes / MIB)} MiB (BACKUP_IMPORT_MAX_MB): nothing was kept.`, 413);
  if (importing >= MAX_IMPORTS) throw new DomainError("conflict", `${MAX_IMPORTS} imports are running on this server: try again when one ended.`);
  importing++;
  const id = crypto.randomUUID();
  const work = path.join(snapshotsRoot(access.project.id), `.import-${id}`);
  try {
    fs.mkdirSync(work, { recursive: true, mode: 0o700 });
    const { manifestText, dataBytes } = await receive(body, work, options.maxBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifestText);
    } catch {
      throw new ImportRefused("The backup's manifest is not JSON: upload the .backup.tar that Download gives.");
    }
    const checked = manifestSchema.safeParse(parsed);
    if (!checked.success) throw new ImportRefused(`The backup's manifest does not match its format (${checked.error.issues[0]!.path.join(".") || "its shape"}: ${checked.error.issues[0]!.message}).`);
    const manifest = checked.data;
    if (manifest.archive.size !== dataBytes) throw new ImportRefused(`The backup's archive is ${dataBytes} bytes where its manifest says ${manifest.archive.size}: it is damaged. Nothing was kept.`);
    const entries = await checkData(path.join(work, ARCHIVE_FILE), manifest);
    // Its commit, if this project has it.
    let commit = manifest.deployedCommit;
    let note: string | null = null;
    if (commit) {
      const known = (await gitOrNull(["cat-file", "-e", `${commit}^{commit}`], { gitDir: repositoryPath(access.project.id) })) !== null;
      if (!known) {
        note = `Its commit ${commit.slice(0, 12)} is not in this project's repository: restoring it into a new environment takes the parent's code.`;
        commit = null;
      }
    }
    // The manifest as this server writes it: this snapshot's id and place.
    fs.writeFileSync(path.join(work, MANIFEST_FILE), JSON.stringify({ ...manifest, snapshotId: id, project: access.project.id, environment: env.name, deployedCommit: commit }), { mode: 0o600, flag: "wx" });
    const now = new Date();
    const [snapshot] = await db
      .insert(snapshots)
      .values({
        id,
        projectId: access.project.id,
        environmentId: env.id,
        environmentName: env.name,
        state: "complete",
        consistency: manifest.consistency,
        deployedCommit: commit,
        sizeBytes: entries.reduce((n, e) => n + (e.type === "file" ? e.size : 0), 0),
        fileCount: entries.filter((e) => e.type === "file").length,
        createdBy: user.id,
        completedAt: now,
        expiresAt: new Date(now.getTime() + SNAPSHOT_TTL_MS),
      })
      .returning();
    fs.renameSync(work, snapshotDir(access.project.id, id));
    await notifyProjectChange(db, access.project.id, "snapshots", env.type);
    return { snapshot: snapshot!, note };
  } finally {
    importing--;
    await removeTree(work).catch(() => undefined);
  }
}
