import { cancelActivity, startActivityWorker } from "@/lib/activity-runners";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { listEnvironments } from "@/lib/environments/queries";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { createProject } from "@/lib/projects/create-project";
import { environmentDeployDir } from "@/lib/runtime/deploy";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { getActivityLog } from "./queue";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

describeEachDatabase("cancel", ({ db }) => {
  it("cancels a pending activity and gives a pending Branch's environment back", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("cancel");
    await createProject(db(), admin, { id, title: "Cancel", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    await worker.idle();
    await worker.stop();
    const branch = await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "never", title: "", type: "development" });
    await cancelActivity(db(), admin, id, branch.id);
    const [row] = await db().select().from(activities).where(eq(activities.id, branch.id));
    expect(row).toMatchObject({ state: "cancelled" });
    expect((await listEnvironments(db(), id)).map((e) => e.name)).toEqual(["master", "staging"]);
    await expect(cancelActivity(db(), admin, id, branch.id)).rejects.toThrow("already ended");
  });

  it("stops a build in progress, kills its processes, and keeps the previous deployment", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("cancel");
    await createProject(db(), admin, { id, title: "Cancel", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      const before = (await listEnvironments(db(), id)).find((e) => e.name === "staging")!;
      const yaml = fs.readFileSync(path.join(environmentDeployDir(id, "staging"), "current", ".magento.app.yaml"), "utf8");
      await commitOn(id, "staging", { ".magento.app.yaml": yaml.replace('set -e\n    echo "Building', 'set -e\n    echo "slow build starts"; sleep 60\n    echo "Building') }, "Slow build");
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "slow", title: "", type: "development" });
      await worker.idle();
      // Syncing the child fast-forwards it to staging's slow commit and deploys that.
      const merge = await requestEnvironmentAction(db(), admin, id, "slow", { action: "sync", code: true, data: false, rebase: false });
      const started = Date.now();
      for (;;) {
        const [a] = await db().select().from(activities).where(eq(activities.id, merge.id));
        const log = (await getActivityLog(db(), merge.id)).map((l) => l.text);
        if (a!.phase === "build" && log.includes("slow build starts")) break;
        if (Date.now() - started > 20_000) throw new Error(`never reached the build: ${a!.state} ${log.join(" | ")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const t0 = Date.now();
      await cancelActivity(db(), admin, id, merge.id);
      await worker.idle();
      expect(Date.now() - t0).toBeLessThan(10_000);
      const [done] = await db().select().from(activities).where(eq(activities.id, merge.id));
      expect(done).toMatchObject({ state: "cancelled", result: "failure" });
      const [slow] = await db().select().from(environments).where(eq(environments.id, merge.environmentId!));
      expect(slow).toMatchObject({ status: "active", deployedCommit: before.deployedCommit });
      await expect(cancelActivity(db(), admin, id, merge.id)).rejects.toThrow("already ended");
    } finally {
      await worker.stop();
    }
  });

  it("stops a deploy hook in progress with everything it started, and keeps the previous deployment", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("cancel");
    await createProject(db(), admin, { id, title: "Cancel", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    const marker = `sleep 600.${process.pid}9`;
    try {
      await worker.idle();
      const before = (await listEnvironments(db(), id)).find((e) => e.name === "staging")!;
      const yaml = fs.readFileSync(path.join(environmentDeployDir(id, "staging"), "current", ".magento.app.yaml"), "utf8");
      await commitOn(id, "master", { ".magento.app.yaml": yaml.replace('  deploy: |\n    set -e\n', `  deploy: |\n    set -e\n    echo "slow deploy starts"; setsid ${marker} & ${marker}\n`) }, "Slow deploy");
      const sync = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      const started = Date.now();
      for (;;) {
        const [a] = await db().select().from(activities).where(eq(activities.id, sync.id));
        const log = (await getActivityLog(db(), sync.id)).map((l) => l.text);
        if (a!.phase === "deploy" && log.includes("slow deploy starts")) break;
        if (Date.now() - started > 20_000) throw new Error(`never reached the deploy hook: ${a!.state} ${log.join(" | ")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await cancelActivity(db(), admin, id, sync.id);
      await worker.idle();
      const [done] = await db().select().from(activities).where(eq(activities.id, sync.id));
      expect(done).toMatchObject({ state: "cancelled", result: "failure" });
      const [staging] = await db().select().from(environments).where(eq(environments.id, before.id));
      expect(staging).toMatchObject({ status: "active", deployedCommit: before.deployedCommit });
      const gone = Date.now() + 5000; // the kernel reaps a killed sandbox's processes at once; allow it a moment
      while (execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(marker) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
      expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(marker);
      const log = (await getActivityLog(db(), sync.id)).map((l) => l.text);
      expect(log).toContain("Cancel requested: stopping the running hook and everything it started.");
    } finally {
      await worker.stop();
    }
  });
});
