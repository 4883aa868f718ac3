import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { ACTIVITY_KINDS } from "@/lib/activity-kinds";
import { startActivityWorker } from "@/lib/activity-runners";
import { listEnvironments } from "@/lib/environments/queries";
import { updateEnvironment } from "@/lib/environments/update-environment";
import { createProject } from "@/lib/projects/create-project";
import { addProjectMember } from "@/lib/projects/members";
import { renameProject } from "@/lib/projects/update-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { subscribeToProject, type ProjectActivityEvent, type ProjectEvent } from "./project-events";
import { enqueueActivity } from "./queue";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

describeEachDatabase("a project's live events", ({ db }) => {
  it("tells each project's listeners when its activities are queued, start and end, and no other project's", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("events");
    const other = uniqueProjectId("events");
    await createProject(db(), admin, { id, title: "Events", plan: "starter", region: "us-3" });
    await createProject(db(), admin, { id: other, title: "Other", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      const heard: ProjectActivityEvent[] = [];
      const heardOther: ProjectEvent[] = [];
      const stop = await subscribeToProject(db(), id, (e) => e.kind === "activity" && heard.push(e));
      const stopOther = await subscribeToProject(db(), other, (e) => heardOther.push(e));
      const staging = (await listEnvironments(db(), id)).find((e) => e.name === "staging")!;
      const activity = await enqueueActivity(ACTIVITY_KINDS, db(), {
        projectId: id, environmentId: staging.id, environmentName: "staging", occupies: [staging.id], type: "environment.redeploy", description: "Redeploy staging", parameters: {}, createdBy: admin.id,
      });
      await worker.idle();
      const deadline = Date.now() + 5000;
      while (!heard.some((e) => e.ended) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      stop();
      stopOther();
      expect(heard.length).toBeGreaterThanOrEqual(2); // queued … ended
      expect(heard.every((e) => e.activityId === activity.id && e.environmentType === "staging")).toBe(true);
      expect(heard.at(-1)!.ended).toBe(true);
      expect(heard.filter((e) => !e.ended).length).toBeGreaterThanOrEqual(1);
      expect(heardOther).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  it("tells each project's listeners what else changed — its title, members, an environment — once committed, and nothing of a refused change", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const member = await makeUser(db());
    const id = uniqueProjectId("changes");
    const other = uniqueProjectId("changes");
    await createProject(db(), admin, { id, title: "Changes", plan: "starter", region: "us-3" });
    await createProject(db(), admin, { id: other, title: "Other", plan: "starter", region: "us-3" });
    const heard: ProjectEvent[] = [];
    const heardOther: ProjectEvent[] = [];
    // (Their first deploys' activities are heard too, as they are queued: not what this is about.)
    const stop = await subscribeToProject(db(), id, (e) => e.kind === "change" && heard.push(e));
    const stopOther = await subscribeToProject(db(), other, (e) => e.kind === "change" && heardOther.push(e));
    try {
      await renameProject(db(), admin, id, "Renamed");
      await addProjectMember(db(), admin, id, member.email, { role: "viewer", production: "none", staging: "viewer", development: "contributor" });
      await expect(renameProject(db(), member, id, "Refused")).rejects.toMatchObject({ code: "forbidden" });
      await updateEnvironment(db(), admin, id, "staging", { title: "Stage", parent: "master" });
      const deadline = Date.now() + 5000;
      while (heard.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
      expect(heard).toEqual([
        { kind: "change", change: "project", environmentType: null },
        { kind: "change", change: "members", environmentType: null },
        { kind: "change", change: "environment", environmentType: "staging" },
      ]);
      expect(heardOther).toEqual([]);
    } finally {
      stop();
      stopOther();
    }
  });
});
