// Backups and deployments through the REST API, as an admin, a viewer, a stranger and hostile
// bodies meet them: create a snapshot, restore it into a new environment or in place, list the
// deployments and roll back; the console's permission checks and sentences; bodies bounded.
import { afterAll, beforeAll, expect, it } from "vitest";
import { GET as listDeployments } from "@/app/api/projects/[projectId]/environments/[environmentName]/deployments/route";
import { POST as rollback } from "@/app/api/projects/[projectId]/environments/[environmentName]/deployments/[deploymentId]/rollback/route";
import { GET as listSnapshots, POST as createSnapshot } from "@/app/api/projects/[projectId]/environments/[environmentName]/snapshots/route";
import { POST as restore } from "@/app/api/projects/[projectId]/environments/[environmentName]/snapshots/[snapshotId]/restore/route";
import { GET as download } from "@/app/api/projects/[projectId]/environments/[environmentName]/snapshots/[snapshotId]/download/route";
import { POST as importBackup } from "@/app/api/projects/[projectId]/environments/[environmentName]/snapshots/import/route";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import { startActivityWorker } from "@/lib/activity-runners";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { createApiToken } from "@/lib/tokens/api-tokens";
import { sweepOrphanImports } from "@/lib/snapshots/import-backup";

withoutTemplateServices();

let db: Db;
let projectId: string;
type Who = { email: string; token: string };
let owner: Who;
let viewer: Who;
let stranger: Who;
let worker: ReturnType<typeof startActivityWorker>;
/** The backup downloaded by the first test, imported by a later one. */
let downloaded = "";

beforeAll(async () => {
  await (await getDatabase()).migrate();
  db = await getDb();
  const admin = await makeUser(db, { isAdmin: true });
  const who = async (user: Awaited<ReturnType<typeof makeUser>>) => ({ email: user.email, token: (await createApiToken(db, user, "t")).token });
  owner = await who(admin);
  projectId = uniqueProjectId("bkapi");
  await createProject(db, admin, { id: projectId, title: "Backup API", plan: "starter", region: "us-3" });
  const v = await makeUser(db);
  await addProjectMember(db, admin, projectId, v.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
  viewer = await who(v);
  stranger = await who(await makeUser(db));
  worker = startActivityWorker(db);
  await worker.idle();
  await commitOn(projectId, "master", { "templates/second.txt": "2" }, "A second deployment");
  await requestEnvironmentAction(db, admin, projectId, "staging", { action: "sync", code: true, data: false, rebase: false });
  await worker.idle();
}, 120_000);
afterAll(async () => {
  await worker.stop();
  await closeDatabase();
});

const call = (path: string, who: Who | null, method = "GET", body?: string, headers: Record<string, string> = {}) =>
  new Request(`http://localhost/api/projects/${projectId}/environments/${path}`, {
    method,
    body,
    headers: { ...(who ? { authorization: `Basic ${Buffer.from(`${who.email}:${who.token}`).toString("base64")}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
  });
const params = <T extends Record<string, string>>(p: T) => ({ params: Promise.resolve({ projectId, ...p }) });

it("creates a snapshot, restores it into a new environment and in place; refuses bad bodies and other members' requests", async () => {
  expect((await createSnapshot(call("staging/snapshots", viewer, "POST", "{}"), params({ environmentName: "staging" }))).status).toBe(403);
  expect((await createSnapshot(call("staging/snapshots", stranger, "POST", "{}"), params({ environmentName: "staging" }))).status).toBe(404);
  // Hostile bodies: nothing recorded.
  const bad = async (body: string, status: number, says: RegExp) => {
    const r = await createSnapshot(call("staging/snapshots", owner, "POST", body), params({ environmentName: "staging" }));
    expect(r.status).toBe(status);
    expect(((await r.json()) as { error: string }).error).toMatch(says);
  };
  await bad("not json", 400, /not JSON/);
  await bad(JSON.stringify({ consistency: "sometimes" }), 400, /^consistency: /);
  await bad(JSON.stringify({ consistency: "live", extra: 1 }), 400, /extra/);
  await bad(JSON.stringify({ padding: "x".repeat(20_000) }), 413, /at most 16 KiB/);
  await bad(`{"__proto__": {"admin": true}}`, 400, /__proto__/);
  expect(((await (await listSnapshots(call("staging/snapshots", owner), params({ environmentName: "staging" }))).json()) as { snapshots: unknown[] }).snapshots).toEqual([]);

  const created = await createSnapshot(call("staging/snapshots", owner, "POST", JSON.stringify({ consistency: "consistent" })), params({ environmentName: "staging" }));
  expect(created.status).toBe(202);
  expect(created.headers.get("location")).toMatch(/\/activities\/[0-9a-f-]+\/log$/);
  await worker.idle();
  const [snapshot] = ((await (await listSnapshots(call("staging/snapshots", owner), params({ environmentName: "staging" }))).json()) as { snapshots: { id: string; state: string }[] }).snapshots;
  expect(snapshot).toMatchObject({ state: "complete" });

  // Download: one tar of the manifest and the data archive; admins of the type only; another environment's is not found.
  const get = (who: Who, environmentName = "staging", snapshotId = snapshot!.id) => download(call(`${environmentName}/snapshots/${snapshotId}/download`, who), params({ environmentName, snapshotId }));
  expect((await get(viewer)).status).toBe(403);
  expect((await get(owner, "master")).status).toBe(404);
  expect((await get(owner, "staging", "../../../etc/passwd")).status).toBe(404);
  const got = await get(owner);
  expect(got.status).toBe(200);
  expect(got.headers.get("content-disposition")).toMatch(/^attachment; filename="[a-z0-9-]+-staging-\d{8}-\d{4}\.backup\.tar"$/);
  const file = path.join(fs.mkdtempSync(path.join(process.env.DATA_DIR!, "test-dl-")), "b.tar");
  fs.writeFileSync(file, Buffer.from(await got.arrayBuffer()));
  expect(execFileSync("tar", ["-tf", file], { encoding: "utf8" }).trim().split("\n")).toEqual(["manifest.json", "data.tar"]);
  downloaded = file;

  const restoreAs = (who: Who, body: unknown, environmentName = "staging", snapshotId = snapshot!.id) =>
    restore(call(`${environmentName}/snapshots/${snapshotId}/restore`, who, "POST", JSON.stringify(body)), params({ environmentName, snapshotId }));
  expect((await restoreAs(viewer, { target: "new", name: "copy", parent: "staging" })).status).toBe(403);
  expect((await restoreAs(owner, { target: "new", name: "staging", parent: "staging" })).status).toBe(409);
  expect((await restoreAs(owner, { target: "new", name: "../x", parent: "staging" })).status).toBe(400);
  expect((await restoreAs(owner, { target: "sideways" })).status).toBe(400);
  expect((await restoreAs(owner, { target: "new", name: "copy", parent: "staging" }, "master")).status).toBe(404); // (not master's snapshot)
  expect((await restoreAs(owner, { target: "in-place", confirmation: "master" })).status).toBe(400);
  const into = await restoreAs(owner, { target: "new", name: "copy", parent: "staging" });
  expect(into.status).toBe(202);
  expect(((await into.json()) as { activity: { type: string } }).activity.type).toBe("environment.restore.new");
  await worker.idle();
  const inPlace = await restoreAs(owner, { target: "in-place", confirmation: "staging" });
  expect(inPlace.status).toBe(202);
  await worker.idle();
});

it("lists the deployments and rolls back to one; refuses the one serving, another environment's and a viewer", async () => {
  const listed = await listDeployments(call("staging/deployments", viewer), params({ environmentName: "staging" }));
  expect(listed.status).toBe(200);
  const { deployments } = (await listed.json()) as { deployments: { id: string; current: boolean; commit: string; rollBack: { allowed: boolean; reason?: string } }[] };
  expect(deployments[0]).toMatchObject({ current: true, rollBack: { allowed: false } });
  // The viewer sees why not.
  expect(deployments.find((d) => !d.current)!.rollBack).toMatchObject({ allowed: false, reason: expect.stringContaining("contributor") });
  const older = deployments.find((d) => !d.current && d.commit !== deployments[0]!.commit)!;
  const back = (who: Who, deploymentId: string, environmentName = "staging") => rollback(call(`${environmentName}/deployments/${deploymentId}/rollback`, who, "POST"), params({ environmentName, deploymentId }));
  expect((await back(viewer, older.id)).status).toBe(403);
  expect((await back(owner, deployments[0]!.id)).status).toBe(409);
  expect((await back(owner, older.id, "master")).status).toBe(404);
  expect((await back(owner, "../../etc")).status).toBe(404);
  const done = await back(owner, older.id);
  expect(done.status).toBe(202);
  await worker.idle();
  const after = ((await (await listDeployments(call("staging/deployments", owner), params({ environmentName: "staging" }))).json()) as { deployments: { commit: string; rollbackOf: string | null }[] }).deployments;
  expect(after[0]).toMatchObject({ commit: older.commit, rollbackOf: older.id });
});

it("imports a downloaded backup as a backup of another environment, restorable; refuses a viewer, a stranger, a damaged archive and one over the limit, listing nothing", async () => {
  const archive = fs.readFileSync(downloaded);
  const upload = (who: Who | null, body: Buffer | undefined, environmentName = "master", query = "?filename=store.backup.tar&replaceOldest=1", headers: Record<string, string> = {}) =>
    importBackup(new Request(`http://localhost/api/projects/${projectId}/environments/${environmentName}/snapshots/import${query}`, { method: "POST", body: body ? new Uint8Array(body) : undefined, headers: { ...(who ? { authorization: `Basic ${Buffer.from(`${who.email}:${who.token}`).toString("base64")}` } : {}), "content-type": "application/x-tar", ...(body ? { "content-length": String(body.length) } : {}), ...headers } }), params({ environmentName }));
  const listed = async () => ((await (await listSnapshots(call("master/snapshots", owner), params({ environmentName: "master" }))).json()) as { snapshots: { id: string; state: string; fileCount: number; activityId: string }[] }).snapshots;
  const leftovers = () => fs.readdirSync(path.join(process.env.DATA_DIR!, "snapshots", projectId)).filter((n) => n.endsWith(".partial"));
  expect(await listed()).toEqual([]);
  expect((await upload(viewer, archive)).status).toBe(403);
  expect((await upload(stranger, archive)).status).toBe(404);
  for (const [body, status, says] of [
    [archive.subarray(0, archive.length - 3000), 400, /truncated|ends in the middle|no end marker/],
    [Buffer.concat([archive.subarray(0, 700), Buffer.from("tampered"), archive.subarray(708)]), 400, /manifest|checksum|JSON|damaged/],
    [Buffer.from("not a tar at all"), 400, /truncated|checksum/],
    [undefined, 400, /Send the backup archive/],
  ] as const) {
    const r = await upload(owner, body as Buffer | undefined);
    expect(r.status).toBe(status);
    expect(((await r.json()) as { error: string }).error).toMatch(says);
  }
  // Without a Content-Length (a chunked upload): its disk cannot be reserved first.
  const chunked = await importBackup(
    new Request(`http://localhost/api/projects/${projectId}/environments/master/snapshots/import`, { method: "POST", body: new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(archive.subarray(0, 1024))), c.close()) }), duplex: "half", headers: { authorization: `Basic ${Buffer.from(`${owner.email}:${owner.token}`).toString("base64")}` } } as RequestInit),
    params({ environmentName: "master" }),
  );
  expect(chunked.status).toBe(411);
  const huge = await upload(owner, Buffer.from("x"), "master", "?filename=big", { "content-length": String(20 * 1024 ** 3) });
  expect(huge.status).toBe(413);
  expect(((await huge.json()) as { error: string }).error).toMatch(/at most 10 GiB of data/);
  expect(await listed()).toEqual([]);
  expect(leftovers()).toEqual([]);

  // A hostile name (10 KB, terminal escapes, a newline, a NUL): the log and the list get at most 120 printable characters of it.
  const hostileName = `\u001b[31mstore\nbackup\u0000${"x".repeat(10_000)}`;
  const ok = await upload(owner, archive, "master", `?filename=${encodeURIComponent(hostileName)}&replaceOldest=1`);
  expect(ok.status).toBe(202);
  const { activity } = (await ok.json()) as { activity: { type: string; description: string } };
  expect(activity).toMatchObject({ type: "environment.backup", description: `Import of ${`[31mstorebackup${"x".repeat(10_000)}`.slice(0, 120)} into the backups of master` });
  await worker.idle();
  const [imported] = await listed();
  expect(imported).toMatchObject({ state: "complete" });
  expect(imported!.fileCount).toBeGreaterThan(0);
  expect(leftovers()).toEqual([]);
  // A folder a server left behind (it died during an upload): swept once its heartbeat is ten minutes old; a live one is not.
  const orphan = path.join(process.env.DATA_DIR!, "snapshots", projectId, `${crypto.randomUUID()}.partial`);
  fs.mkdirSync(path.join(orphan, "staging"), { recursive: true });
  fs.writeFileSync(path.join(orphan, ".importing"), "");
  expect(await sweepOrphanImports(db)).toBe(0);
  expect(await sweepOrphanImports(db, Date.now() + 11 * 60_000)).toBeGreaterThanOrEqual(1);
  expect(fs.existsSync(orphan)).toBe(false);
  // Restorable like any backup: into a new environment, with the backup's data.
  const into = await restore(call(`master/snapshots/${imported!.id}/restore`, owner, "POST", JSON.stringify({ target: "new", name: "imported", parent: "master" })), params({ environmentName: "master", snapshotId: imported!.id }));
  expect(into.status).toBe(202);
  await worker.idle();
  const after = ((await (await listSnapshots(call("imported/snapshots", owner), params({ environmentName: "imported" }))).json()) as { snapshots: unknown[] });
  expect(after.snapshots).toEqual([]);
}, 120_000);
