import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { starterProject } from "@/lib/testing-fixtures";
import { listLastDeployFailures } from "./deploy-failures";
import { getProjectOverview } from "./overview";

const COMMIT = "a".repeat(40);

describeEachDatabase("a failed deploy is seen until a deploy succeeds", ({ db }) => {
  async function project(prefix: string) {
    const p = await starterProject(db(), prefix);
    const envs = await db().select().from(environments).where(eq(environments.projectId, p.id));
    const byName = (name: string) => envs.find((e) => e.name === name)!;
    // After the project's own first activities.
    const start = Date.now() + 60_000;
    let minute = 0;
    const record = async (environmentId: string, type: string, state: "pending" | "in_progress" | "complete" | "cancelled", result: "success" | "failure" | null, description = type) => {
      const createdAt = new Date(start + ++minute * 60_000);
      const [row] = await db()
        .insert(activities)
        .values({ projectId: p.id, environmentId, environmentName: "x", type, state, result, description, createdAt, completedAt: state === "complete" ? new Date(createdAt.getTime() + 5_000) : null })
        .returning();
      return row!;
    };
    return { ...p, byName, record };
  }

  it("names the failed deploy and what is still served; a later success ends it, a cancelled or unfinished one does not", async () => {
    const { id, access, byName, record } = await project("fail");
    const staging = byName("staging");
    await db().update(environments).set({ deployedCommit: COMMIT }).where(eq(environments.id, staging.id));
    const failures = () => listLastDeployFailures(db(), id, [staging.id]);
    await record(staging.id, "environment.push", "complete", "success");
    expect((await failures()).size).toBe(0);

    const failed = await record(staging.id, "environment.push", "complete", "failure", "Push to staging");
    expect((await failures()).get(staging.id)).toEqual({ activityId: failed.id, description: "Push to staging", at: failed.completedAt!.toISOString(), servingCommit: COMMIT });
    // Neither what does not deploy, nor a deploy cancelled, queued or running, says otherwise.
    await record(staging.id, "environment.backup", "complete", "success");
    await record(staging.id, "environment.redeploy", "cancelled", null);
    await record(staging.id, "environment.redeploy", "in_progress", null);
    expect((await failures()).get(staging.id)?.activityId).toBe(failed.id);
    // A newer failure (a variable saved redeploys) replaces it.
    const newer = await record(staging.id, "environment.variable.update", "complete", "failure", "Change variable X");
    expect((await failures()).get(staging.id)?.activityId).toBe(newer.id);
    // The overview says the same.
    const overview = await getProjectOverview(db(), access);
    expect(overview.environments.find((e) => e.id === staging.id)?.lastDeployFailure).toMatchObject({ activityId: newer.id, servingCommit: COMMIT });
    expect(overview.environments.find((e) => e.name === "master")?.lastDeployFailure).toBeNull();
    // A deploy of another kind that succeeds ends it.
    await record(staging.id, "environment.restore", "complete", "success");
    expect((await failures()).size).toBe(0);
  });

  it("says nothing is served when nothing is, and leaves out what fails without deploying", async () => {
    const { id, byName, record } = await project("nothing");
    const staging = byName("staging");
    const master = byName("master");
    await db().update(environments).set({ deployedCommit: null, status: "inactive" }).where(eq(environments.id, staging.id));
    await record(staging.id, "environment.activate", "complete", "failure");
    await record(master.id, "environment.push", "complete", "success");
    await record(master.id, "environment.backup", "complete", "failure");
    await record(master.id, "environment.deactivate", "complete", "failure");
    const failures = await listLastDeployFailures(db(), id, [staging.id, master.id]);
    expect([...failures.keys()]).toEqual([staging.id]);
    expect(failures.get(staging.id)?.servingCommit).toBeNull();
    // Another project's environment is not this project's.
    const other = await project("other");
    expect((await listLastDeployFailures(db(), other.id, [staging.id])).size).toBe(0);
    expect((await listLastDeployFailures(db(), id, [])).size).toBe(0);
  });

  it("answers for many environments with long histories in one query", async () => {
    const { id, byName } = await project("many");
    const staging = byName("staging");
    const names = Array.from({ length: 200 }, (_, i) => `b-${i}`);
    const rows = await db()
      .insert(environments)
      .values(names.map((name) => ({ projectId: id, name, title: name, parentId: staging.id, type: "development" as const, status: "active" as const, deployedCommit: COMMIT })))
      .returning();
    const start = Date.now() + 3_600_000;
    // 20 deploys each, alternating; even environments end with a failure, odd ones with a success.
    const history = rows.flatMap((e, i) =>
      Array.from({ length: 20 }, (_, n) => ({
        projectId: id,
        environmentId: e.id,
        environmentName: e.name,
        type: n % 3 === 0 ? "environment.backup" : "environment.push",
        state: "complete" as const,
        result: (n === 19 ? (i % 2 === 0 ? "failure" : "success") : n % 2 === 0 ? "failure" : "success") as "success" | "failure",
        description: `${e.name} #${n}`,
        createdAt: new Date(start + n * 1_000),
      })),
    );
    for (let i = 0; i < history.length; i += 1_000) await db().insert(activities).values(history.slice(i, i + 1_000));
    const failures = await listLastDeployFailures(db(), id, rows.map((e) => e.id));
    expect(failures.size).toBe(100);
    expect(failures.get(rows[0]!.id)?.description).toBe("b-0 #19");
    expect(failures.has(rows[1]!.id)).toBe(false);
  });

});
