import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { selectRows } from "@/db/client";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { claimDispatchedActivity, dispatchActivities, enqueueActivity, finishActivity } from "./queue";
import { startWorker } from "./worker";

describeEachDatabase("the activity queue", ({ db }) => {
  async function idleStarterProject() {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("queue");
    await createProject(db(), admin, { id, title: "Queue", plan: "starter", region: "us-3" });
    await db().update(activities).set({ state: "complete", result: "success" }).where(eq(activities.projectId, id));
    const envs = await db().select().from(environments).where(eq(environments.projectId, id));
    const master = envs.find((e) => e.name === "master")!;
    const staging = envs.find((e) => e.name === "staging")!;
    const enqueue = (env: typeof master, description: string, occupies = [env.id]) =>
      enqueueActivity(db(), {
        projectId: id,
        environmentId: env.id,
        environmentName: env.name,
        occupies,
        type: "environment.redeploy",
        description,
        createdBy: admin.id,
        isProduction: env.type === "production",
      });
    return { admin, id, master, staging, enqueue };
  }

  it("dispatches first in, first out per environment, at most two per project, production first", async () => {
    const { master, staging, enqueue } = await idleStarterProject();
    const first = await enqueue(staging, "first on staging");
    const second = await enqueue(staging, "second on staging");
    const production = await enqueue(master, "production");
    const merge = await enqueue(staging, "merge staging into master", [staging.id, master.id]);

    const dispatched = await dispatchActivities(db());
    expect(dispatched.map((d) => d.activityId)).toEqual([production.id, first.id]);
    expect(await dispatchActivities(db())).toEqual([]); // staging and master are taken, and so are both of the project's slots

    const job = dispatched.find((d) => d.activityId === first.id)!;
    expect(await claimDispatchedActivity(db(), first.id, "another-job", "w")).toBeNull();
    expect(await claimDispatchedActivity(db(), first.id, job.jobId, "w")).toMatchObject({ state: "in_progress" });
    await finishActivity(db(), first.id, { state: "complete", result: "success" });
    // The merge waits for the earlier activity on staging, not only for running ones.
    expect((await dispatchActivities(db())).map((d) => d.activityId)).toEqual([second.id]);
    expect(merge.state).toBe("pending");
    await db().update(activities).set({ state: "cancelled" }).where(sql`${activities.state} <> 'complete'`);
  });

  it("runs each activity as a pg-boss job, and dispatches again a job lost with its worker", async () => {
    const { staging, enqueue } = await idleStarterProject();
    const worker = startWorker(db());
    const redeploy = await enqueue(staging, "through pg-boss");
    await worker.idle();
    await worker.stop();
    const [done] = await db().select().from(activities).where(eq(activities.id, redeploy.id));
    expect(done).toMatchObject({ state: "complete", result: "success" });
    const [job] = await selectRows<{ state: string; name: string }>(db(), sql`select state, name from pgboss.job where id = ${done!.jobId}`);
    expect(job).toEqual({ state: "completed", name: "activity-run" });
    // Expired snapshots are pruned by a pg-boss schedule.
    const schedules = await selectRows<{ name: string; cron: string }>(db(), sql`select name, cron from pgboss.schedule`);
    expect(schedules).toContainEqual({ name: "snapshots-prune", cron: "*/10 * * * *" });

    // A dispatch whose job never reached pg-boss (its worker died in between) is found and dispatched again.
    const lost = await enqueue(staging, "lost job");
    const [dispatch] = await dispatchActivities(db());
    expect(dispatch?.activityId).toBe(lost.id);
    await db().update(activities).set({ dispatchedAt: new Date(Date.now() - 120_000) }).where(eq(activities.id, lost.id));
    const again = startWorker(db());
    try {
      await again.idle();
      const [row] = await db().select().from(activities).where(eq(activities.id, lost.id));
      expect(row).toMatchObject({ state: "complete", result: "success" });
      expect(row!.jobId).not.toBe(dispatch!.jobId);
    } finally {
      await again.stop();
    }
  });
});
