import fs from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments, snapshots } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { claimDispatchedActivity, dispatchActivities, getActivityLog, recoverStaleActivities } from "@/lib/activities/queue";
import { abandonActivity, settleActivityEnvironment, startActivityWorker } from "@/lib/activity-runners";
import { getProjectAccess } from "@/lib/auth/project-access";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import { currentDataPath } from "@/lib/runtime/volumes";
import { serviceRuntimeDir } from "@/lib/runtime/services/service-paths";
import { environmentServiceCredentials } from "@/lib/runtime/services/stored-credentials";
import { mariadb, requireServices } from "@/lib/runtime/services/testing-service-clients";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { deleteSnapshot, listSnapshots, pruneExpiredSnapshots, requestRestore, requestSnapshot, snapshotDir, snapshotTempDir } from "./snapshots";

const servicesRun = requireServices(["mysql:10.6"]) === null;

/** Every file under `dir` with its content, for byte-for-byte comparisons. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = fs.readFileSync(full).toString("base64");
    }
  };
  walk(dir);
  return out;
}

describeEachDatabase("snapshots", ({ db }) => {
  async function project() {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("snap");
    await createProject(db(), admin, { id, title: "Snap", plan: "starter", region: "us-3" });
    return { admin, id };
  }

  it("snapshots, restores byte for byte after the data changed, refuses a corrupt archive and keeps the data", async () => {
    const { admin, id } = await project();
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      // The environment's MariaDB keeps its files in services/mysql/mariadb and rewrites some of them while it runs and
      // when it starts: it is stopped while this test writes and reads the files itself (the next test snapshots it
      // running), and its own folder is left out of the comparisons after the restore's redeploy started it.
      await getRuntimeDriver().stopServices(id, "staging", "The test reads the service's files.");
      const engineFiles = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([file]) => !file.startsWith("services/mysql/mariadb/")));
      const data = () => fs.realpathSync(currentDataPath(id, "staging"));
      fs.mkdirSync(path.join(data(), "services", "mysql", "db"), { recursive: true });
      fs.writeFileSync(path.join(data(), "services", "mysql", "db", "orders.ibd"), Buffer.alloc(300_000, 3));
      fs.writeFileSync(path.join(data(), "mounts", "pub%2Fmedia", `${"long-name-".repeat(15)}.jpg`), "image");
      const before = tree(data());

      const { activity, snapshot } = await requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: false });
      await worker.idle();
      const [made] = await db().select().from(snapshots).where(eq(snapshots.id, snapshot.id));
      // Its size is the data's (the files' bytes), not the tar archive's padded size.
      const dataBytes = Object.values(before).reduce((sum, b64) => sum + Buffer.from(b64, "base64").length, 0);
      expect(made).toMatchObject({ state: "complete", fileCount: Object.keys(before).length, sizeBytes: dataBytes });
      const [act] = await db().select().from(activities).where(eq(activities.id, activity.id));
      expect(act).toMatchObject({ state: "complete", result: "success", progress: 100 });
      const manifest = JSON.parse(fs.readFileSync(path.join(snapshotDir(id, snapshot.id), "manifest.json"), "utf8"));
      expect(manifest.files.find((f: { path: string }) => f.path === "services/mysql/db/orders.ibd")).toMatchObject({ size: 300_000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(fs.existsSync(snapshotTempDir(id, snapshot.id))).toBe(false);

      // The data changes; the restore brings back exactly the snapshot's.
      fs.writeFileSync(path.join(data(), "services", "mysql", "db", "orders.ibd"), "changed");
      fs.writeFileSync(path.join(data(), "mounts", "var", "new-file"), "new");
      // Replacing data needs the environment's name typed; anything else queues nothing.
      await expect(requestRestore(db(), admin, id, snapshot.id, "")).rejects.toMatchObject({ fieldErrors: { confirmation: [expect.stringContaining("Type “staging” to confirm")] } });
      await expect(requestRestore(db(), admin, id, snapshot.id, "production")).rejects.toThrow("Type “staging” to confirm");
      const restore = await requestRestore(db(), admin, id, snapshot.id, "staging");
      await worker.idle();
      expect((await db().select().from(activities).where(eq(activities.id, restore.id)))[0]).toMatchObject({ result: "success" });
      const after = tree(data());
      // The redeploy after the restore appends its line to var/log/deploy.log; everything else is the snapshot's.
      const { "mounts/var/log/deploy.log": logAfter, ...restAfter } = after;
      const { "mounts/var/log/deploy.log": logBefore, ...restBefore } = before;
      expect(engineFiles(restAfter)).toEqual(engineFiles(restBefore));
      expect(Object.keys(restAfter).filter((f) => f.startsWith("services/mysql/mariadb/main/"))).toEqual(Object.keys(restBefore).filter((f) => f.startsWith("services/mysql/mariadb/main/")));
      expect(Buffer.from(logAfter!, "base64").toString().startsWith(Buffer.from(logBefore!, "base64").toString())).toBe(true);

      // One byte of the archive flips: the restore refuses and the data stays as it was.
      const archive = path.join(snapshotDir(id, snapshot.id), "data.tar");
      const bytes = fs.readFileSync(archive);
      bytes[2048] = bytes[2048]! ^ 0xff;
      fs.writeFileSync(archive, bytes);
      const current = engineFiles(tree(data()));
      const bad = await requestRestore(db(), admin, id, snapshot.id, "staging");
      await worker.idle();
      expect((await db().select().from(activities).where(eq(activities.id, bad.id)))[0]).toMatchObject({ result: "failure" });
      expect((await getActivityLog(db(), bad.id)).map((l) => l.text).join("\n")).toContain("staging's data stays as it was.");
      expect(engineFiles(tree(data()))).toEqual(current);

      // A missing archive says so too.
      fs.rmSync(archive);
      const missing = await requestRestore(db(), admin, id, snapshot.id, "staging");
      await worker.idle();
      expect((await getActivityLog(db(), missing.id)).map((l) => l.text).join("\n")).toContain("The snapshot's archive is missing");
    } finally {
      await worker.stop();
    }
  });

  it.skipIf(!servicesRun)("a safe snapshot stops the running MariaDB for a measured moment and its restore brings the older rows back; a live one pauses nothing and says it may be inconsistent", async () => {
    const { admin, id } = await project();
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
      const credentials = await environmentServiceCredentials(db(), staging!.id, "mysql", "mariadb");
      const runtimeDir = serviceRuntimeDir(id, "staging", "mysql");
      const sql = (q: string) => mariadb(runtimeDir, credentials, q);
      expect((await sql("CREATE TABLE counter (n INT); INSERT INTO counter VALUES (1);")).code).toBe(0);

      const { activity, snapshot } = await requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: false });
      await worker.idle();
      const [made] = await db().select().from(snapshots).where(eq(snapshots.id, snapshot.id));
      expect(made!.state).toBe("complete");
      expect(made!.servicePauseMs).toBeGreaterThan(0);
      const log = (await getActivityLog(db(), activity.id)).map((l) => l.text).join("\n");
      expect(log).toMatch(/Safe snapshot: no other activity runs on staging while its data is copied, and mysql is stopped cleanly while its files are copied, then started again\./);
      expect(log).toMatch(/mysql was stopped for [\d.]+ s while its files were copied, and answers again\./);
      console.log(`Safe snapshot: MariaDB paused ${made!.servicePauseMs} ms`);
      // It answers again, and the site's writes go on.
      expect((await sql("UPDATE counter SET n = 2; SELECT n FROM counter;")).out).toBe("2");

      // The restore: services stop before the data is replaced; the deploy starts them on the snapshot's, with the older row.
      const restore = await requestRestore(db(), admin, id, snapshot.id, "staging");
      await worker.idle();
      expect((await db().select().from(activities).where(eq(activities.id, restore.id)))[0]).toMatchObject({ result: "success" });
      expect((await sql("SELECT n FROM counter")).out).toBe("1");
      expect(getRuntimeDriver().serviceStatus(id, "staging").find((s) => s.serviceId === "mysql")?.state).toBe("running");

      // A live snapshot pauses nothing, and says so.
      const live = await requestSnapshot(db(), admin, id, "staging", { consistency: "live", replaceOldest: true });
      await worker.idle();
      const [liveRow] = await db().select().from(snapshots).where(eq(snapshots.id, live.snapshot.id));
      expect(liveRow).toMatchObject({ state: "complete", servicePauseMs: null });
      expect((await getActivityLog(db(), live.activity.id)).map((l) => l.text).join("\n")).toMatch(/Live snapshot: nothing is paused .*mysql keeps writing while its files are copied, so the copy may be inconsistent/);
    } finally {
      await worker.stop();
    }
  });

  it("a dead worker's snapshot is failed with no archive left; ids from outside cannot reach other files; Starter keeps two; expired ones are pruned", async () => {
    const { admin, id } = await project();
    const worker = startActivityWorker(db());
    await worker.idle();
    await worker.stop();
    const access = (await getProjectAccess(db(), admin, id))!;
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));

    const { activity, snapshot } = await requestSnapshot(db(), admin, id, "staging", { consistency: "live", replaceOldest: false });
    const [job] = await dispatchActivities(db());
    const claimed = await claimDispatchedActivity(db(), activity.id, job!.jobId, "dead-worker");
    fs.mkdirSync(snapshotTempDir(id, snapshot.id), { recursive: true });
    fs.writeFileSync(path.join(snapshotTempDir(id, snapshot.id), "data.tar"), "partial");
    await db().update(activities).set({ heartbeatAt: new Date(Date.now() - 120_000) }).where(eq(activities.id, claimed!.id));
    expect(
      await recoverStaleActivities(db(), new Date(), async (tx, a) => {
        await settleActivityEnvironment(tx, a, "failure");
        await abandonActivity(tx, a);
      }),
    ).toBe(1);
    expect((await db().select().from(snapshots).where(eq(snapshots.id, snapshot.id)))[0]!.state).toBe("failed");
    expect(fs.existsSync(snapshotTempDir(id, snapshot.id))).toBe(false);
    expect((await listSnapshots(db(), access, staging!)).map((s) => [s.id, s.state])).toEqual([[snapshot.id, "failed"]]);

    for (const bad of ["../../etc", "..%2F..%2Fetc", "00000000-0000-0000-0000-000000000000/../x", "not-a-uuid"]) {
      await expect(requestRestore(db(), admin, id, bad, "staging")).rejects.toThrow("This snapshot does not exist.");
      await expect(deleteSnapshot(db(), admin, id, bad)).rejects.toThrow("This snapshot does not exist.");
    }
    expect(() => snapshotDir(id, "../../x")).toThrow("This snapshot does not exist.");

    // A viewer sees the list, and may not create, restore or delete.
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    expect(await listSnapshots(db(), (await getProjectAccess(db(), viewer, id))!, staging!)).toHaveLength(1);
    await expect(requestSnapshot(db(), viewer, id, "staging", { consistency: "live", replaceOldest: false })).rejects.toThrow("Creating a snapshot needs the admin role");
    await expect(deleteSnapshot(db(), viewer, id, snapshot.id)).rejects.toThrow("Deleting a snapshot needs the admin role");

    const again = startActivityWorker(db());
    try {
      await requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: false });
      await requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: false });
      await again.idle();
      await expect(requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: false })).rejects.toThrow("This project keeps 2 manual snapshots per environment");
      const oldest = (await listSnapshots(db(), access, staging!)).filter((s) => s.state === "complete").at(-1)!;
      await requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: true });
      await again.idle();
      const kept = (await listSnapshots(db(), access, staging!)).filter((s) => s.state === "complete");
      expect(kept).toHaveLength(2);
      expect(kept.map((s) => s.id)).not.toContain(oldest.id);
      expect(fs.existsSync(snapshotDir(id, oldest.id))).toBe(false);

      expect(await pruneExpiredSnapshots(db(), new Date(Date.now() + 8 * 24 * 3600 * 1000))).toBeGreaterThanOrEqual(2);
      expect((await listSnapshots(db(), access, staging!)).filter((s) => s.state === "complete")).toEqual([]);
      for (const s of kept) expect(fs.existsSync(snapshotDir(id, s.id))).toBe(false);
    } finally {
      await again.stop();
    }
  });

  it("keeps a snapshot that a waiting or running restore reads: Delete says why, expiry and retention pass it by until the restore has ended", async () => {
    const { admin, id } = await project();
    const [env] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    const [snapshot] = await db()
      .insert(snapshots)
      .values({ projectId: id, environmentId: env!.id, environmentName: "staging", state: "complete", consistency: "live", expiresAt: new Date(Date.now() - 1000) })
      .returning();
    fs.mkdirSync(snapshotDir(id, snapshot!.id), { recursive: true });
    // A restore from it, waiting for its turn (no worker runs here).
    const [restore] = await db().insert(activities).values({ projectId: id, environmentId: env!.id, environmentName: "staging", type: "environment.restore", description: "Restore staging", parameters: { snapshotId: snapshot!.id } }).returning();
    await expect(deleteSnapshot(db(), admin, id, snapshot!.id)).rejects.toThrow("A restore from this snapshot is waiting or running: delete it once that restore has ended.");
    expect(await pruneExpiredSnapshots(db())).toBe(0);
    expect(fs.existsSync(snapshotDir(id, snapshot!.id))).toBe(true);
    expect(await db().select().from(snapshots).where(eq(snapshots.id, snapshot!.id))).toHaveLength(1);
    // Once the restore has ended, expiry deletes it.
    await db().update(activities).set({ state: "complete", result: "success" }).where(eq(activities.id, restore!.id));
    expect(await pruneExpiredSnapshots(db())).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(snapshotDir(id, snapshot!.id))).toBe(false);
    expect(await db().select().from(snapshots).where(eq(snapshots.id, snapshot!.id))).toHaveLength(0);
  });
});
