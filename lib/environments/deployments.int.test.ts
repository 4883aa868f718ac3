import fs from "node:fs";
import path from "node:path";
import { and, desc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, deployments, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { startActivityWorker } from "@/lib/activity-runners";
import { getProjectAccess } from "@/lib/auth/project-access";
import { addProjectMember } from "@/lib/projects/members";
import { getActivityLog } from "@/lib/activities/log-store";
import { createProject } from "@/lib/projects/create-project";
import { buildsDir } from "@/lib/runtime/deploy";
import { commitOn } from "@/lib/testing-git";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { requestEnvironmentAction } from "./request-action";
import { listDeployments, requestRollback } from "./deployments";

withoutTemplateServices();

describeEachDatabase("Roll back to an earlier deployment", ({ db }) => {
  it("switches to the kept build without building, says so, and Redeploy returns to the branch's head; refusals in sentences", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const viewer = await makeUser(db());
    const id = uniqueProjectId("rollback");
    await createProject(db(), admin, { id, title: "Rollback", plan: "starter", region: "us-3" });
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "none", staging: "viewer", development: "contributor" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      const staging = async () => (await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging"))))[0]!;
      const first = (await staging()).deployedCommit!;
      const next = await commitOn(id, "master", { "templates/extra.txt": "x" }, "A second build");
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      expect((await staging()).deployedCommit).toBe(next);
      const access = (await getProjectAccess(db(), admin, id))!;
      let list = await listDeployments(db(), access, await staging());
      expect(list.length).toBeGreaterThanOrEqual(2);
      expect(list[0]).toMatchObject({ current: true, rollBack: { allowed: false, reason: "This is the deployment serving now." } });
      const older = list.find((d) => !d.current && d.commit === first)!;
      expect(older.rollBack).toEqual({ allowed: true });

      // Hostile and impossible requests: refused, nothing enqueued.
      const before = (await db().select().from(activities).where(eq(activities.projectId, id))).length;
      await expect(requestRollback(db(), admin, id, "staging", list[0]!.id)).rejects.toThrow("This is the deployment serving now.");
      await expect(requestRollback(db(), admin, id, "staging", "not-a-uuid")).rejects.toThrow("has no such deployment");
      await expect(requestRollback(db(), admin, id, "staging", "00000000-0000-4000-8000-000000000000")).rejects.toThrow("has no such deployment");
      const [masterDeployment] = await db().select().from(deployments).innerJoin(environments, eq(environments.id, deployments.environmentId)).where(and(eq(environments.projectId, id), eq(environments.name, "master"))).limit(1);
      await expect(requestRollback(db(), admin, id, "staging", masterDeployment!.deployments.id)).rejects.toThrow("has no such deployment");
      await expect(requestRollback(db(), viewer, id, "staging", older.id)).rejects.toThrow();
      expect((await db().select().from(activities).where(eq(activities.projectId, id))).length).toBe(before);

      // Roll back: the older commit serves again, from the same build, and the deployment says what it was.
      const activity = await requestRollback(db(), admin, id, "staging", older.id);
      expect(activity).toMatchObject({ type: "environment.rollback", description: `Roll back staging to ${first.slice(0, 7)}` });
      await worker.idle();
      const [done] = await db().select().from(activities).where(eq(activities.id, activity.id));
      expect(done).toMatchObject({ state: "complete", result: "success" });
      expect((await staging()).deployedCommit).toBe(first);
      const [rolled] = await db().select().from(deployments).where(eq(deployments.environmentId, (await staging()).id)).orderBy(desc(deployments.createdAt)).limit(1);
      expect(rolled).toMatchObject({ commit: first, rollbackOf: older.id, buildReused: true });
      list = await listDeployments(db(), access, await staging());
      expect(list[0]).toMatchObject({ current: true, rollbackOf: older.id, by: { what: "Roll back" } });

      // Redeploy returns to the branch's head.
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      await worker.idle();
      expect((await staging()).deployedCommit).toBe(next);

      // A build that is no longer kept: refused at the request, and at the run if it went meanwhile.
      const target = list.find((d) => d.commit === first && !d.current)!;
      const [row] = await db().select().from(deployments).where(eq(deployments.id, target.id));
      const build = path.join(buildsDir(id), row!.buildKey!);
      fs.renameSync(build, `${build}.gone`);
      await expect(requestRollback(db(), admin, id, "staging", target.id)).rejects.toThrow("is no longer kept");
      fs.renameSync(`${build}.gone`, build);
      const late = await requestRollback(db(), admin, id, "staging", target.id);
      fs.renameSync(build, `${build}.gone`);
      await worker.idle();
      const [failed] = await db().select().from(activities).where(eq(activities.id, late.id));
      expect(failed).toMatchObject({ state: "complete", result: "failure" });
      expect((await getActivityLog(db(), late.id)).map((l) => l.text).join("\n")).toMatch(/no longer kept/);
      expect((await staging()).deployedCommit).toBe(next);
    } finally {
      await worker.stop();
    }
  });
});
