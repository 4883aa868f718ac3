// Importing a backup through the API: a downloaded one comes back as a snapshot and restores; hostile
// uploads (truncated, a wrong checksum, `../` and absolute paths, links out, a hard link, a gzip
// bomb, over the size cap, extra members) are refused with a sentence and leave nothing behind.
import crypto from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GET as download } from "@/app/api/projects/[projectId]/environments/[environmentName]/snapshots/[snapshotId]/download/route";
import { POST as importRoute } from "@/app/api/projects/[projectId]/environments/[environmentName]/snapshots/import/route";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import { activities, snapshots } from "@/db/schema";
import { startActivityWorker } from "@/lib/activity-runners";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { createApiToken } from "@/lib/tokens/api-tokens";
import { requestRestore, requestSnapshot, snapshotsRoot } from "./snapshots";

withoutTemplateServices();
// (A downloaded backup is a whole tar record, 1 MiB, at least.)
process.env.BACKUP_IMPORT_MAX_MB = "2";
const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();

let db: Db;
let projectId: string;
type Who = { email: string; token: string };
let owner: Who;
let viewer: Who;
let admin: Awaited<ReturnType<typeof makeUser>>;
let worker: ReturnType<typeof startActivityWorker>;

beforeAll(async () => {
  await (await getDatabase()).migrate();
  db = await getDb();
  admin = await makeUser(db, { isAdmin: true });
  const who = async (user: Awaited<ReturnType<typeof makeUser>>) => ({ email: user.email, token: (await createApiToken(db, user, "t")).token });
  owner = await who(admin);
  projectId = uniqueProjectId("import");
  await createProject(db, admin, { id: projectId, title: "Import", plan: "starter", region: "us-3" });
  const v = await makeUser(db);
  await addProjectMember(db, admin, projectId, v.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
  viewer = await who(v);
  worker = startActivityWorker(db);
  await worker.idle();
}, 120_000);
afterAll(async () => {
  await worker.stop();
  await closeDatabase();
});

const auth = (who: Who) => ({ authorization: `Basic ${Buffer.from(`${who.email}:${who.token}`).toString("base64")}` });
const params = <T extends Record<string, string>>(p: T) => ({ params: Promise.resolve({ projectId, ...p }) });
const upload = (body: Buffer, who: Who = owner, headers: Record<string, string> = {}) =>
  importRoute(new Request(`http://localhost/api/projects/${projectId}/environments/staging/snapshots/import`, { method: "POST", body: new Uint8Array(body), headers: { ...auth(who), "content-type": "application/x-tar", ...headers } }), params({ environmentName: "staging" }));

/** A tar member's 512-byte header (ustar), with its checksum. */
function header(name: string, size: number, flag = "0", link = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, "0")}\0`, 136);
  h.write("        ", 148);
  h.write(flag, 156);
  h.write(link, 157, 100, "utf8");
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}
type Member = { name: string; content?: Buffer; flag?: string; link?: string };
function tar(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const content = m.content ?? Buffer.alloc(0);
    parts.push(header(m.name, content.length, m.flag ?? "0", m.link ?? ""), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
/** A backup of `members` with a manifest that matches it (`edit` may then change either). */
function backup(members: Member[], edit: (m: Record<string, unknown>) => void = () => undefined, outer: Member[] = []): Buffer {
  const data = tar(members);
  const files = members.map((m) => ({
    path: m.name.replace(/\/$/, ""),
    // (A hard link is listed as an empty file: the manifest's format has no other kind to claim.)
    type: m.flag === "5" ? "directory" : m.flag === "2" ? "symlink" : "file",
    size: m.flag === "5" || m.flag === "2" ? 0 : (m.content?.length ?? 0),
    ...(m.flag === "5" || m.flag === "2" ? {} : { sha256: crypto.createHash("sha256").update(m.content ?? Buffer.alloc(0)).digest("hex") }),
    ...(m.flag === "2" ? { linkTarget: m.link } : {}),
  }));
  const manifest: Record<string, unknown> = { version: 1, snapshotId: crypto.randomUUID(), project: "elsewhere", environment: "x", deployedCommit: null, consistency: "consistent", createdAt: new Date().toISOString(), expiresAt: new Date().toISOString(), archive: { file: "data.tar", size: data.length }, totalBytes: 0, files };
  edit(manifest);
  return tar([{ name: "manifest.json", content: Buffer.from(JSON.stringify(manifest)) }, { name: "data.tar", content: data }, ...outer]);
}
const count = async () => (await db.select().from(snapshots).where(eq(snapshots.projectId, projectId))).length;
const leftovers = () => (fs.existsSync(snapshotsRoot(projectId)) ? fs.readdirSync(snapshotsRoot(projectId)).filter((f) => f.startsWith(".import-")) : []);

it("a downloaded backup imports as a snapshot of the environment and restores", async () => {
  const { snapshot } = await requestSnapshot(db, admin, projectId, "staging", { consistency: "consistent", replaceOldest: false });
  await worker.idle();
  const got = await download(new Request(`http://localhost/x`, { headers: auth(owner) }), params({ environmentName: "staging", snapshotId: snapshot.id }));
  const archive = Buffer.from(await got.arrayBuffer());
  expect((await upload(archive, viewer)).status).toBe(403);
  const imported = await upload(archive);
  expect(imported.status).toBe(201);
  const { snapshot: made, note } = (await imported.json()) as { snapshot: { id: string; deployedCommit: string | null }; note: string | null };
  expect(note).toBeNull();
  expect(made.deployedCommit).toBe(snapshot.deployedCommit);
  const activity = await requestRestore(db, admin, projectId, made.id, "staging");
  await worker.idle();
  expect((await db.select().from(activities).where(eq(activities.id, activity.id)))[0]).toMatchObject({ result: "success" });
});

it("refuses hostile uploads with a sentence, and keeps nothing of them", async () => {
  const before = await count();
  const file = (name: string, text = "x") => ({ name, content: Buffer.from(text) });
  const refused = async (body: Buffer, says: RegExp, status = 400, headers: Record<string, string> = {}) => {
    const r = await upload(body, owner, headers);
    const answer = (await r.json()) as { error: string };
    expect(r.status, answer.error).toBe(status);
    expect(answer.error).toMatch(says);
  };
  const good = backup([file("mounts/var/a.txt", "hello"), { name: "mounts/var/link", flag: "2", link: "a.txt" }]);
  // Truncated, in the data and in the outer archive.
  await refused(good.subarray(0, Math.floor(good.length / 2)), /truncated/);
  await refused(good.subarray(0, good.length - 1024), /truncated/);
  // A wrong checksum: the content changed after the manifest was made.
  const tampered = backup([file("mounts/var/a.txt", "hello")], (m) => ((m.files as { sha256: string }[])[0]!.sha256 = "0".repeat(64)));
  await refused(tampered, /does not match the backup's manifest/);
  await refused(backup([file("mounts/var/a.txt")], (m) => ((m.files as unknown[]).length = 0)), /holds 1 entries where its manifest lists 0/);
  // Paths and links out.
  await refused(backup([file("../evil")]), /is not a path inside the backup's data/);
  await refused(backup([file("mounts/../../evil")]), /is not a path inside/);
  await refused(backup([file("/etc/cron.d/evil")]), /is not a path inside/);
  await refused(backup([{ name: "mounts/var/out", flag: "2", link: "/etc/shadow" }]), /leads outside the backup's data/);
  await refused(backup([{ name: "mounts/var/out", flag: "2", link: "../../../../etc" }]), /leads outside/);
  await refused(backup([{ name: "mounts/var/hard", flag: "1", link: "/etc/shadow" }]), /hard link, device or other special file/);
  // Not a backup at all: a gzip bomb (1 GiB of zeros compressed), an extra member, a member by another name, a symlink for the manifest.
  await refused(zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)), /not a tar archive/);
  await refused(backup([file("mounts/var/a.txt")], undefined, [file("extra.sh", "rm -rf /")]), /more after its end|must hold manifest.json, then data.tar/);
  await refused(tar([file("evil.json", "{}"), file("data.tar")]), /must hold manifest.json, then data.tar/);
  await refused(tar([{ name: "manifest.json", flag: "2", link: "/etc/passwd" }]), /not a plain file/);
  await refused(tar([file("manifest.json", "not json"), { name: "data.tar", content: tar([]) }]), /manifest is not JSON/);
  await refused(backup([file("mounts/var/a.txt")], (m) => (m.version = 2)), /does not match its format \(version/);
  // Too large: said by its length at once, or found while it streams.
  await refused(good, /larger than 2 MiB \(BACKUP_IMPORT_MAX_MB\)/, 413, { "content-length": String(20 * 1024 ** 3) });
  await refused(backup([{ name: "mounts/var/big", content: Buffer.alloc(3 * 1024 * 1024, 7) }]), /larger than 2 MiB \(BACKUP_IMPORT_MAX_MB\)/, 413);
  const claims = Buffer.concat([header("manifest.json", 2), Buffer.from("{}"), Buffer.alloc(510), header("data.tar", 8 * 1024 ** 3 - 1), Buffer.alloc(4096)]);
  await refused(claims, /larger than 2 MiB/, 413);
  expect(await count()).toBe(before);
  expect(leftovers()).toEqual([]);
  // And a good one still imports after all of them.
  expect((await upload(good)).status).toBe(201);
});
