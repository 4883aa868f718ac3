import fs from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, deployments, environments, snapshots } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { startActivityWorker } from "@/lib/activity-runners";
import { branchHead } from "@/lib/git/repository";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { currentDataPath } from "@/lib/runtime/volumes";
import { commitOn } from "@/lib/testing-git";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { requestRestoreInto, requestSnapshot } from "./snapshots";

withoutTemplateServices();

describeEachDatabase("restore a snapshot into a new environment", ({ db }) => {
  it("creates the environment from the snapshot's code and data, touches nothing else, and refuses what it cannot do with nothing written", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const viewer = await makeUser(db());
    const id = uniqueProjectId("into");
    await createProject(db(), admin, { id, title: "Into", plan: "starter", region: "us-3" });
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "none", staging: "viewer", development: "viewer" });
    const worker = startActivityWorker(db());
    const envRow = async (name: string) => (await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, name))))[0];
    try {
      await worker.idle();
      const data = (name: string) => fs.realpathSync(currentDataPath(id, name));
      fs.writeFileSync(path.join(data("staging"), "mounts", "var", "before.txt"), "in the snapshot");
      const { snapshot } = await requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: false });
      await worker.idle();
      const snapshotCommit = (await envRow("staging"))!.deployedCommit!;
      // After the snapshot: staging's data and master's code change.
      fs.writeFileSync(path.join(data("staging"), "mounts", "var", "after.txt"), "not in the snapshot");
      const masterHead = await commitOn(id, "master", { "templates/later.txt": "later" }, "Later on master");

      // Refused, with nothing written: bad names, a name taken by an environment or a branch, a missing parent, a viewer, a made-up snapshot.
      const count = async () => ({ envs: (await db().select().from(environments).where(eq(environments.projectId, id))).length, acts: (await db().select().from(activities).where(eq(activities.projectId, id))).length });
      const before = await count();
      const ask = (name: string, over: Partial<{ parent: string; code: boolean; snapshotId: string; user: typeof admin }> = {}) =>
        requestRestoreInto(db(), over.user ?? admin, id, over.snapshotId ?? snapshot.id, { name, parent: over.parent ?? "staging", code: over.code ?? true });
      await expect(ask("../etc")).rejects.toMatchObject({ code: "invalid" });
      await expect(ask("Has Spaces")).rejects.toMatchObject({ code: "invalid" });
      await expect(ask("x".repeat(300))).rejects.toMatchObject({ code: "invalid" });
      await expect(ask("staging")).rejects.toThrow(/already a git branch/);
      await expect(ask("copy", { parent: "nowhere" })).rejects.toMatchObject({ code: "invalid" });
      await expect(ask("copy", { user: viewer })).rejects.toMatchObject({ code: "forbidden" });
      await expect(ask("copy", { snapshotId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: "not_found" });
      await expect(ask("copy", { snapshotId: "'; drop table snapshots; --" })).rejects.toMatchObject({ code: "not_found" });
      expect(await count()).toEqual(before);

      // Code and data: the snapshot's commit, its files; staging keeps what it has now.
      const { activity, environment } = await ask("copy");
      expect(environment).toBe("copy");
      await worker.idle();
      expect((await db().select().from(activities).where(eq(activities.id, activity.id)))[0]).toMatchObject({ state: "complete", result: "success" });
      expect(await envRow("copy")).toMatchObject({ status: "active", deployedCommit: snapshotCommit, type: "development" });
      // The very build the backup was taken with (kept), not a new one.
      const [taken] = await db().select().from(snapshots).where(eq(snapshots.id, snapshot.id));
      const [copyDeployment] = await db().select().from(deployments).where(eq(deployments.environmentId, (await envRow("copy"))!.id));
      expect(taken!.buildKey).toBeTruthy();
      expect(copyDeployment).toMatchObject({ buildKey: taken!.buildKey, buildReused: true, rollbackOf: null });
      expect(fs.readFileSync(path.join(data("copy"), "mounts", "var", "before.txt"), "utf8")).toBe("in the snapshot");
      expect(fs.existsSync(path.join(data("copy"), "mounts", "var", "after.txt"))).toBe(false);
      expect(fs.readFileSync(path.join(data("staging"), "mounts", "var", "after.txt"), "utf8")).toBe("not in the snapshot");

      // A second restore by the same name is refused: restoring never replaces an environment by its name.
      await expect(ask("copy")).rejects.toMatchObject({ code: "conflict" });

      // Data only, under master: master's code now, the snapshot's data.
      await ask("data-only", { parent: "master", code: false });
      await worker.idle();
      expect(await envRow("data-only")).toMatchObject({ status: "active", deployedCommit: masterHead });
      expect(await branchHead(id, "data-only")).toBe(masterHead);
      expect(fs.existsSync(path.join(data("data-only"), "mounts", "var", "before.txt"))).toBe(true);

      // The plan's limit (Starter: 4 active): refused with the way out, nothing written.
      const full = await count();
      await expect(ask("fifth")).rejects.toThrow(/allows 4 active environments .*deactivate one first, or restore in place/);
      expect(await count()).toEqual(full);

      // An expired snapshot is refused.
      await db().update(snapshots).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(snapshots.id, snapshot.id));
      await expect(ask("late")).rejects.toThrow(/expired/);
    } finally {
      await worker.stop();
    }
  });
});
