import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { selectRows } from "@/db/client";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { claimDispatchedActivity, dispatchActivities, enqueueActivity, finishActivity, recordProjectActivity } from "./queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { ACTIVITY_KINDS, ACTIVITY_TYPES, isProjectLevel, isRunnable, type ActivityParameters, type ActivityType } from "@/lib/activity-kinds";
import { listEnvironments } from "@/lib/environments/queries";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

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
      enqueueActivity(ACTIVITY_KINDS, db(), {
        projectId: id,
        environmentId: env.id,
        environmentName: env.name,
        occupies,
        type: "environment.redeploy",
        description,
        parameters: {},
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
    const worker = startActivityWorker(db());
    const redeploy = await enqueue(staging, "through pg-boss");
    await worker.idle();
    await worker.stop();
    const [done] = await db().select().from(activities).where(eq(activities.id, redeploy.id));
    expect(done).toMatchObject({ state: "complete", result: "success" });
    const [job] = await selectRows<{ state: string; name: string }>(db(), sql`select state, name from pgboss.job where id = ${done!.jobId}`);
    // (A redeploy starts the environment's processes: its job is on the queue that only a process hosting environments takes.)
    expect(job).toEqual({ state: "completed", name: "activity-run-runtime" });
    // Expired snapshots are pruned by a pg-boss schedule.
    const schedules = await selectRows<{ name: string; cron: string }>(db(), sql`select name, cron from pgboss.schedule`);
    expect(schedules).toContainEqual({ name: "snapshots-prune", cron: "*/10 * * * *" });

    // A dispatch whose job never reached pg-boss (its worker died in between) is found and dispatched again.
    const lost = await enqueue(staging, "lost job");
    const [dispatch] = await dispatchActivities(db());
    expect(dispatch?.activityId).toBe(lost.id);
    await db().update(activities).set({ dispatchedAt: new Date(Date.now() - 120_000) }).where(eq(activities.id, lost.id));
    const again = startActivityWorker(db());
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

describeEachDatabase("one way to enqueue", ({ db }) => {
  it("enqueues every kind with its parameters checked, and writes nothing for parameters that do not fit", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("kinds");
    await createProject(db(), admin, { id, title: "Kinds", plan: "starter", region: "us-3" });
    const staging = (await listEnvironments(db(), id)).find((e) => e.name === "staging")!;
    const sha = "a".repeat(40);
    const snapshotId = "00000000-0000-4000-8000-000000000001";
    // One sample per kind: the compiler makes this list name every kind there is.
    const samples: { [T in ActivityType]: ActivityParameters<T> } = {
      "environment.initialize": {},
      "environment.branch": { parent: "staging", commit: sha, activate: true },
      "environment.activate": {},
      "environment.deactivate": {},
      "environment.delete": {},
      "environment.merge": { source: "staging", target: "master" },
      "environment.synchronize": { source: "master", code: true, data: false, rebase: false },
      "environment.redeploy": {},
      "environment.rollback": { deploymentId: snapshotId, commit: sha },
      "environment.cron": { cron: "cronrun" },
      "environment.operation": { operation: "clear-cache" },
      "environment.crons.pause": {},
      "environment.crons.resume": {},
      "environment.push": { before: sha, after: sha },
      "environment.backup": { snapshotId, replaces: null },
      "environment.restore": { snapshotId },
      "environment.restore.new": { snapshotId, parent: "staging", code: true },
      "environment.update.http_access": {},
      "environment.update.restrict_robots": {},
      "environment.update.smtp": { enabled: true },
      "environment.pause": {},
      "environment.resume": {},
      "environment.variable.create": { names: ["FOO"] },
      "environment.variable.update": { names: ["FOO"] },
      "environment.variable.delete": { names: ["FOO"] },
      "project.variable.create": { names: ["FOO"] },
      "project.variable.update": { names: ["FOO"] },
      "project.variable.delete": { names: ["FOO"] },
    };
    const base = { projectId: id, environmentId: staging.id, environmentName: "staging", occupies: [], description: "kind test", createdBy: admin.id };
    for (const type of ACTIVITY_TYPES) {
      if (!isRunnable(type)) await expect(enqueueActivity(ACTIVITY_KINDS, db(), { ...base, type, parameters: samples[type] as never })).rejects.toThrow("does not run: record it done");
      if (isProjectLevel(type)) {
        // About the project: recorded done, never queued.
        const p = await recordProjectActivity(ACTIVITY_KINDS, db(), { projectId: id, type, description: "kind test", parameters: samples[type] as never, createdBy: admin.id }, "Saved.");
        expect(p).toMatchObject({ type, state: "complete", result: "success", environmentId: null, environmentName: null });
        continue;
      }
      if (!isRunnable(type)) continue;
      const a = await enqueueActivity(ACTIVITY_KINDS, db(), { ...base, type, parameters: samples[type] as never });
      expect(a).toMatchObject({ type, state: "pending", parameters: samples[type] });
    }
    const before = (await db().select().from(activities).where(eq(activities.projectId, id))).length;
    await expect(enqueueActivity(ACTIVITY_KINDS, db(), { ...base, type: "environment.push", parameters: { before: "HEAD", after: sha } })).rejects.toThrow("Invalid parameters for environment.push: before:");
    await expect(enqueueActivity(ACTIVITY_KINDS, db(), { ...base, type: "made.up" as never, parameters: {} as never })).rejects.toThrow("No activity kind made.up is declared.");
    expect((await db().select().from(activities).where(eq(activities.projectId, id))).length).toBe(before);
    await db().delete(activities).where(eq(activities.projectId, id)); // nothing here is meant to run
  });
});
