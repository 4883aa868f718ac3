// The import process (import-child.mjs) against a real backup and hostile ones: a backup made by
// the snapshot archiver round-trips (files, folders, links, hard links, sha256 of every file);
// truncated, altered, escaping, overlapping, oversized and foreign archives are refused with a
// sentence, and nothing is ever written outside the import's folder.
import { spawn, execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { writeSnapshotArchive } from "@/lib/runtime/snapshot-archive";
import { TarHasher } from "@/lib/runtime/tar-hasher";

const CHILD = path.join(process.cwd(), "lib", "snapshots", "import-child.mjs");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-import-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
let seq = 0;

/** Runs the import process on `input`; its folder, exit code and sentence. */
async function runImport(input: Buffer, limits: { bytes?: number; entries?: number } = {}) {
  const dir = path.join(work, `import-${++seq}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  const child = spawn(process.execPath, [CHILD, dir, String(limits.bytes ?? 1024 ** 3), String(limits.entries ?? 100_000)], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.on("error", () => undefined); // it may refuse before reading everything
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { dir, code, stdout, stderr: stderr.trim() };
}

/** One tar member as GNU tar writes it (ustar header, GNU magic), content padded to 512. */
function member(name: string, opts: { type?: string; content?: Buffer; linkName?: string; mode?: number; magic?: string; badChecksum?: boolean } = {}): Buffer {
  const content = opts.content ?? Buffer.alloc(0);
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write((opts.mode ?? 0o644).toString(8).padStart(7, "0"), 100, "latin1");
  h.write("0000000", 108, "latin1");
  h.write("0000000", 116, "latin1");
  h.write(content.length.toString(8).padStart(11, "0"), 124, "latin1");
  h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, "0"), 136, "latin1");
  h.write(opts.type ?? "0", 156, "latin1");
  if (opts.linkName) h.write(opts.linkName, 157, 100, "utf8");
  h.write(opts.magic ?? "ustar  \0", 257, "latin1");
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${(opts.badChecksum ? sum + 1 : sum).toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad]);
}
const END = Buffer.alloc(1024);

/** A backup archive around `data` (an inner tar): its manifest computed from it (then `alter` may change it). */
function backupOf(data: Buffer, alter: (m: { files: Record<string, unknown>[]; archive: { size: number } } & Record<string, unknown>) => void = () => undefined): Buffer {
  const hasher = new TarHasher();
  hasher.push(data);
  const manifest = { version: 1, snapshotId: crypto.randomUUID(), project: "p", environment: "staging", deployedCommit: null, consistency: "consistent", createdAt: new Date().toISOString(), expiresAt: new Date().toISOString(), archive: { file: "data.tar", size: data.length }, totalBytes: 0, files: hasher.entries as unknown as Record<string, unknown>[] };
  alter(manifest);
  return Buffer.concat([member("manifest.json", { content: Buffer.from(JSON.stringify(manifest)) }), member("data.tar", { content: data }), END]);
}

describe("a backup made by this console", () => {
  it("round-trips: files, folders, links and hard links, every sha256 proved", async () => {
    const source = path.join(work, "source");
    fs.mkdirSync(path.join(source, "mounts", "var", "deep", "er"), { recursive: true });
    fs.mkdirSync(path.join(source, "services", "db"), { recursive: true });
    fs.writeFileSync(path.join(source, "mounts", "var", "deep", "er", "a.bin"), crypto.randomBytes(300_000));
    fs.writeFileSync(path.join(source, "mounts", "var", "empty"), "");
    fs.writeFileSync(path.join(source, "services", "db", "ibdata1"), crypto.randomBytes(70_000));
    fs.writeFileSync(path.join(source, "mounts", "var", "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    fs.symlinkSync("deep/er/a.bin", path.join(source, "mounts", "var", "link"));
    fs.symlinkSync("/etc/passwd", path.join(source, "mounts", "var", "outside-link"));
    fs.linkSync(path.join(source, "mounts", "var", "deep", "er", "a.bin"), path.join(source, "mounts", "var", "hard"));
    fs.writeFileSync(path.join(source, "mounts", "var", `${"n".repeat(150)}.txt`), "a long name");
    const snap = path.join(work, "snap");
    const manifest = await writeSnapshotArchive({ sourceDir: source, targetDir: snap, meta: { snapshotId: crypto.randomUUID(), project: "p", environment: "staging", deployedCommit: "a".repeat(40), consistency: "consistent", createdAt: new Date().toISOString(), expiresAt: new Date().toISOString() } });
    // As Download streams it.
    const download = execFileSync("tar", ["-cf", "-", "--blocking-factor=2048", "-C", snap, "--", "manifest.json", "data.tar"], { maxBuffer: 64 * 1024 ** 2 });
    const r = await runImport(download);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { files: number; bytes: number; entries: number; meta: { deployedCommit: string; environment: string } };
    expect(report.entries).toBe(manifest.files.length);
    expect(report.meta).toMatchObject({ deployedCommit: "a".repeat(40), environment: "staging" });
    // The same tree: re-hashed by a fresh archive of what was written.
    const again = await writeSnapshotArchive({ sourceDir: r.dir, targetDir: path.join(work, "snap-again"), meta: { snapshotId: crypto.randomUUID(), project: "p", environment: "staging", deployedCommit: null, consistency: "live", createdAt: "", expiresAt: "" } });
    const key = (files: typeof manifest.files) => files.map((f) => `${f.path} ${f.type} ${f.size} ${f.sha256 ?? ""} ${f.linkTarget ?? ""}`).sort();
    expect(key(again.files)).toEqual(key(manifest.files));
    expect(fs.readlinkSync(path.join(r.dir, "mounts", "var", "outside-link"))).toBe("/etc/passwd");
    expect(fs.statSync(path.join(r.dir, "mounts", "var", "hard")).ino).toBe(fs.statSync(path.join(r.dir, "mounts", "var", "deep", "er", "a.bin")).ino);
    expect(fs.statSync(path.join(r.dir, "mounts", "var", "run.sh")).mode & 0o777).toBe(0o755);
  });
});

describe("a hostile or damaged archive is refused with a sentence", () => {
  const file = (name: string, text: string) => member(name, { content: Buffer.from(text) });
  const data = (...members: Buffer[]) => Buffer.concat([...members, END]);
  const good = backupOf(data(member("mounts/", { type: "5", mode: 0o755 }), file("mounts/a.txt", "hello"), file("mounts/b.txt", "world")));

  const refused = async (input: Buffer, says: RegExp, limits?: { bytes?: number; entries?: number }) => {
    const r = await runImport(input, limits);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(says);
    return r;
  };

  it("the good one first", async () => {
    const r = await runImport(good);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(r.dir, "mounts", "b.txt"), "utf8")).toBe("world");
  });
  it("truncated anywhere", async () => {
    for (const cut of [100, 700, good.length / 2, good.length - 1024 - 10]) await refused(good.subarray(0, Math.floor(cut)), /truncated|no end marker|ends in the middle/);
  });
  it("a file altered after its manifest was made", async () => {
    const altered = Buffer.from(good);
    const at = altered.indexOf("world");
    altered.write("WORLD", at);
    await refused(altered, /b\.txt does not match its sha256/);
  });
  it("a header's checksum wrong, a foreign magic, gzip, or random bytes", async () => {
    await refused(backupOf(data(member("mounts/a.txt", { content: Buffer.from("x"), badChecksum: true }))), /checksum is wrong/);
    await refused(Buffer.concat([member("manifest.json", { content: Buffer.from("{}"), magic: "nottar\0\0" }), END]), /not a POSIX or GNU tar header/);
    await refused(zlib.gzipSync(Buffer.alloc(50 * 1024 ** 2)), /checksum is wrong|not a (POSIX|number)|damaged/);
    await refused(crypto.randomBytes(4096), /checksum|not a number|damaged/);
  });
  it("paths out of the folder: ../, absolute, through a link, a hard link out", async () => {
    const outside = path.join(work, "outside");
    await refused(backupOf(data(file("../escape.txt", "x"))), /leads out of the backup's folder/);
    await refused(backupOf(data(file("mounts/../../escape.txt", "x"))), /leads out/);
    await refused(backupOf(data(file(`${outside}/abs.txt`, "x"))), /absolute path/);
    // A link to a folder outside, then a file beneath the link's name: refused before anything is made beneath it.
    await refused(backupOf(data(member("mounts/l", { type: "2", linkName: outside }), file("mounts/l/through.txt", "x"))), /lies beneath mounts\/l, which is a link/);
    await refused(backupOf(data(member("mounts/h", { type: "1", linkName: "/etc/passwd" }))), /absolute path/);
    await refused(backupOf(data(member("mounts/h", { type: "1", linkName: "../../etc/passwd" }))), /leads out/);
    await refused(backupOf(data(member("mounts/h", { type: "1", linkName: "mounts/later.txt" }), file("mounts/later.txt", "x"))), /not a file earlier in the archive/);
    await refused(backupOf(data(file("mounts//a.txt", "x"))), /not a plain path/);
    // Links beneath a link (made last, they would pass through the first): refused in either order.
    await refused(backupOf(data(member("a", { type: "2", linkName: outside }), member("a/x/y/planted", { type: "2", linkName: "/etc/passwd" }))), /lies beneath a, which is a link/);
    await refused(backupOf(data(member("a/x/y/planted", { type: "2", linkName: "/etc/passwd" }), member("a", { type: "2", linkName: outside }))), /a is a link, and other entries lie beneath it/);
    await refused(backupOf(data(member("a", { type: "2", linkName: ".." }), member("a/data.tar", { type: "2", linkName: "victim" }))), /lies beneath a, which is a link/);
    await refused(backupOf(data(member("a", { type: "2", linkName: ".." }), member("a/", { type: "5" }))), /comes twice|lies beneath/);
    expect(fs.existsSync(outside)).toBe(false);
    expect(fs.existsSync(path.join(work, "escape.txt"))).toBe(false);
  });
  it("a path twice, a file where a folder is, other member types", async () => {
    await refused(backupOf(data(file("mounts/a.txt", "1"), file("mounts/a.txt", "2"))), /comes twice/);
    await refused(backupOf(data(file("mounts/a", "1"), file("mounts/a/b", "2"))), /overlap/);
    await refused(backupOf(data(member("pax", { type: "x", content: Buffer.from("30 path=../../../../etc/passwd\n") }), file("a", "1"))), /type “x”/);
    await refused(backupOf(data(member("sparse", { type: "S" }))), /type “S”/);
    // Devices and pipes (a character device, a block device, a FIFO that would block a reader):
    // listed in the manifest as snapshots list them, never made.
    for (const type of ["3", "4", "6"]) {
      const r = await runImport(backupOf(data(member("mounts/", { type: "5", mode: 0o755 }), member("mounts/dev", { type }))));
      expect(r.code, r.stderr).toBe(0);
      expect(fs.existsSync(path.join(r.dir, "mounts"))).toBe(true);
      expect(fs.lstatSync(path.join(r.dir, "mounts", "dev"), { throwIfNoEntry: false })).toBeUndefined();
    }
  });
  it("an archive that disagrees with its manifest: an extra entry, a missing one, another size", async () => {
    await refused(backupOf(data(file("a.txt", "1"), file("b.txt", "2")), (m) => m.files.pop()), /more entries than its manifest/);
    await refused(backupOf(data(file("a.txt", "1")), (m) => m.files.push({ path: "b.txt", type: "file", size: 1, sha256: "0".repeat(64) })), /holds 1 entries where its manifest lists 2/);
    await refused(backupOf(data(file("a.txt", "1")), (m) => (m.archive.size += 512)), /data\.tar is \d+ bytes where its manifest says/);
    await refused(backupOf(data(file("a.txt", "1")), (m) => ((m.files[0] as { path: string }).path = "other.txt")), /not what the manifest lists there/);
  });
  it("an outer archive with something else than manifest.json then data.tar", async () => {
    await refused(Buffer.concat([file("data.tar", ""), END]), /begins with manifest\.json/);
    await refused(Buffer.concat([good.subarray(0, good.length - 1024), file("extra", "x"), END]), /more than manifest\.json and data\.tar/);
    await refused(Buffer.concat([member("manifest.json", { content: Buffer.from("{not json") }), member("data.tar"), END]), /not JSON/);
    await refused(Buffer.concat([member("manifest.json", { type: "2", linkName: "/etc/passwd" }), END]), /not a plain file/);
  });
  it("over the size or entry limit: refused from the manifest, before a file is written", async () => {
    const big = backupOf(data(file("a.txt", "x".repeat(5000))));
    const r = await refused(big, /holds .* of data: this environment's backups take at most/, { bytes: 1000 });
    expect(fs.readdirSync(r.dir)).toEqual([]);
    // A manifest that lies small: the data's own bytes are counted as they come.
    await refused(backupOf(data(file("a.txt", "x".repeat(5000))), (m) => ((m.files[0] as { size: number }).size = 10)), /not what the manifest lists there/, { bytes: 1000 });
    await refused(backupOf(data(file("a", "1"), file("b", "2"), file("c", "3"))), /lists 3 entries: a backup imported here holds at most 2/, { entries: 2 });
  });
});
