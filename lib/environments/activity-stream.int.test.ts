import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getProjectAccess } from "@/lib/auth/project-access";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { listActivityStream } from "./activity-stream";
import { enqueueActivity } from "@/lib/activities/queue";
import { ACTIVITY_KINDS } from "@/lib/activity-kinds";

describeEachDatabase("the activity stream", ({ db }) => {
  it("lists running, then pending in run order, then recent pages by cursor; filters; hides what the user may not see", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("stream");
    await createProject(db(), admin, { id, title: "Stream", plan: "starter", region: "us-3" });
    await db().delete(activities).where(eq(activities.projectId, id));
    const envs = await db().select().from(environments).where(eq(environments.projectId, id));
    const master = envs.find((e) => e.name === "master")!;
    const staging = envs.find((e) => e.name === "staging")!;
    const made: string[] = [];
    for (let i = 0; i < 45; i++) {
      const env = i % 3 === 0 ? master : staging;
      const common = { projectId: id, environmentId: env.id, environmentName: env.name, occupies: [env.id], description: `activity ${i}`, createdBy: admin.id, isProduction: env.type === "production" };
      const a =
        i % 2
          ? await enqueueActivity(ACTIVITY_KINDS, db(), { ...common, type: "environment.redeploy", parameters: {} })
          : await enqueueActivity(ACTIVITY_KINDS, db(), { ...common, type: "environment.push", parameters: { before: "0".repeat(40), after: "a".repeat(40) } });
      // Distinct, increasing creation times; most are done, the last two still run or wait.
      const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      const state = i === 43 ? "in_progress" : i === 44 ? "pending" : "complete";
      await db()
        .update(activities)
        .set({ createdAt, state, result: state === "complete" ? (i % 5 ? "success" : "failure") : null, startedAt: state === "pending" ? null : createdAt })
        .where(eq(activities.id, a.id));
      made.push(a.id);
    }
    const access = (await getProjectAccess(db(), admin, id))!;
    const first = await listActivityStream(db(), access, {});
    expect(first.running.map((a) => a.description)).toEqual(["activity 43"]);
    expect(first.pending.map((a) => a.description)).toEqual(["activity 44"]);
    expect(first.recent.map((a) => a.description)).toEqual(Array.from({ length: 20 }, (_, i) => `activity ${42 - i}`));
    const second = await listActivityStream(db(), access, { cursor: first.nextCursor! });
    expect(second.running).toEqual([]);
    expect(second.recent.map((a) => a.description)).toEqual(Array.from({ length: 20 }, (_, i) => `activity ${22 - i}`));
    const third = await listActivityStream(db(), access, { cursor: second.nextCursor! });
    expect(third.recent).toHaveLength(3);
    expect(third.nextCursor).toBeNull();

    const failures = await listActivityStream(db(), access, { result: "failure", type: "environment.push" });
    expect(failures.recent.every((a) => a.result === "failure" && a.type === "environment.push")).toBe(true);
    expect(failures.recent.map((a) => a.description)).toEqual(["activity 40", "activity 30", "activity 20", "activity 10", "activity 0"]);
    const onlyPending = await listActivityStream(db(), access, { state: "pending" });
    expect([onlyPending.running.length, onlyPending.pending.length, onlyPending.recent.length]).toEqual([0, 1, 0]);
    const onMaster = await listActivityStream(db(), access, { environmentId: master.id });
    expect(onMaster.recent.every((a) => a.environmentName === "master")).toBe(true);

    await expect(listActivityStream(db(), access, { cursor: "bm90LWEtY3Vyc29y" })).rejects.toThrow("cursor is not one this server gave out");

    // A member without access to Production sees no Production activity.
    const dev = await makeUser(db());
    await addProjectMember(db(), admin, id, dev.email, { role: "viewer", production: "none", staging: "viewer", development: "contributor" });
    const devView = await listActivityStream(db(), (await getProjectAccess(db(), dev, id))!, {});
    expect(devView.recent.length).toBeGreaterThan(0);
    expect([...devView.running, ...devView.pending, ...devView.recent].some((a) => a.environmentName === "master")).toBe(false);
  });
});
