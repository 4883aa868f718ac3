import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { claimDispatchedActivity, dispatchActivities, getActivityLog, recoverStaleActivities } from "@/lib/activities/queue";
import { settleActivityEnvironment, startActivityWorker, type Worker } from "@/lib/activity-runners";
import { branchHead, fsck } from "@/lib/git/repository";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { environmentDeployDir } from "@/lib/runtime/deploy";
import { fetchSite } from "@/lib/runtime/testing-hooks";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { getProjectAccess } from "@/lib/auth/project-access";
import { getProjectOverview } from "./overview";
import { listActivities, listEnvironments } from "./queries";
import { requestEnvironmentAction } from "./request-action";
import { updateEnvironment } from "./update-environment";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

describeEachDatabase("environments on real git", ({ db }) => {
  let worker: Worker;
  beforeAll(() => {
    worker = startActivityWorker(db(), { concurrency: 2 });
  });
  afterAll(async () => {
    await worker.stop();
  });

  async function starterProject() {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("env");
    await createProject(db(), admin, { id, title: "Env Store", plan: "starter", region: "us-3" });
    await worker.idle();
    return { admin, id };
  }
  const envs = async (id: string) => Object.fromEntries((await listEnvironments(db(), id)).map((e) => [e.name, e]));
  const logOf = async (activityId: string) => (await getActivityLog(db(), activityId)).map((l) => l.text).join("\n");

  it("creates Starter's master and staging, and deploys both with the repository's hooks", async () => {
    const { id } = await starterProject();
    const e = await envs(id);
    expect(Object.keys(e)).toEqual(["master", "staging"]);
    expect(e.master).toMatchObject({ type: "production", status: "active", deployedCommit: await branchHead(id, "master") });
    expect(e.staging).toMatchObject({ type: "staging", status: "active", parentId: e.master!.id });
    // The template's PHP page, rendered by PHP-FPM behind nginx in staging's sandbox.
    const site = await fetchSite(id, "staging");
    expect(site.status).toBe(200);
    expect(site.body).toContain('Environment: <strong id="environment">staging</strong>');
    expect(site.body).toContain(`<code id="commit">${e.staging!.deployedCommit}</code>`);
    expect(site.body).toMatch(/Rendered by PHP <strong id="php-version">\d+\.\d+/);
    const initial = await listActivities(db(), id);
    expect(initial.map((a) => [a.environmentName, a.state, a.result]).sort()).toEqual([
      ["master", "complete", "success"],
      ["staging", "complete", "success"],
    ]);
    const access = (await getProjectAccess(db(), await makeUser(db(), { isAdmin: true }), id))!; // an instance admin sees it
    const overview = await getProjectOverview(db(), access);
    expect(overview.environments.find((x) => x.name === "staging")!.lastActivity).toMatchObject({ description: "Deploy staging for the first time", result: "success" });
    expect(overview.usage.label).toBe("2 of 4 active environments");
    // One of the two built the template's tree; the other built it too or reused that build.
    const logs = await Promise.all(initial.map((a) => logOf(a.id)));
    expect(logs.join("\n")).toContain("The application answers");
    for (const log of logs) expect(log).toMatch(/Reusing the build of tree|Executing build hook/);
  });

  it("branches from staging, deploys a pushed commit, merges it into staging", async () => {
    const { admin, id } = await starterProject();
    const branched = await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "fix-cart", title: "Fix cart", type: "development" });
    await worker.idle();
    expect((await envs(id))["fix-cart"]).toMatchObject({ status: "active", title: "Fix cart" });
    expect(await logOf(branched.id)).toContain("Created branch fix-cart from staging");

    const sha = await commitOn(id, "fix-cart", { "cart.txt": "fixed\n" }, "Fix the cart");
    await requestEnvironmentAction(db(), admin, id, "fix-cart", { action: "redeploy" });
    await worker.idle();
    const merge = await requestEnvironmentAction(db(), admin, id, "fix-cart", { action: "merge" });
    expect(merge).toMatchObject({ type: "environment.merge", environmentName: "staging", description: "Merge fix-cart into staging" });
    await worker.idle();
    expect(await branchHead(id, "staging")).toBe(sha);
    expect((await envs(id)).staging).toMatchObject({ status: "active", deployedCommit: sha });
    expect(await logOf(merge.id)).toContain("Merged fix-cart into staging (fast-forward");
    await fsck(id);
  });

  it("fails a conflicting merge, lists the paths and leaves both branches as they were", async () => {
    const { admin, id } = await starterProject();
    await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "feature", title: "", type: "development" });
    await worker.idle();
    await commitOn(id, "staging", { "README.md": "staging\n" }, "Staging readme");
    await commitOn(id, "feature", { "README.md": "feature\n" }, "Feature readme");
    const before = [await branchHead(id, "staging"), await branchHead(id, "feature")];
    const merge = await requestEnvironmentAction(db(), admin, id, "feature", { action: "merge" });
    await worker.idle();
    const [done] = await db().select().from(activities).where(eq(activities.id, merge.id));
    expect(done).toMatchObject({ state: "complete", result: "failure" });
    const log = await logOf(merge.id);
    expect(log).toContain("  README.md");
    expect(log).toContain("Nothing was changed");
    expect([await branchHead(id, "staging"), await branchHead(id, "feature")]).toEqual(before);
    expect((await envs(id)).staging!.status).toBe("active");
  });

  it("a failing build hook fails the deploy and keeps the previous deployment current", async () => {
    const { admin, id } = await starterProject();
    await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "feature", title: "", type: "development" });
    await worker.idle();
    const previous = (await envs(id)).staging!.deployedCommit;
    const appYaml = fs.readFileSync(path.join(environmentDeployDir(id, "staging"), "current", ".magento.app.yaml"), "utf8");
    const broken = await commitOn(id, "feature", { ".magento.app.yaml": appYaml.replace('set -e\n    echo "Building', 'set -e\n    echo "broken build" >&2; exit 3\n    echo "Building') }, "Break the build");
    const merge = await requestEnvironmentAction(db(), admin, id, "feature", { action: "merge" });
    await worker.idle();
    const [failed] = await db().select().from(activities).where(eq(activities.id, merge.id));
    expect(failed).toMatchObject({ state: "complete", result: "failure" });
    const log = await getActivityLog(db(), merge.id);
    expect(log.find((l) => l.text === "broken build")).toMatchObject({ section: "build" });
    expect(log.map((l) => l.text)).toContain("The build hook failed (exit code 3).");
    expect(await branchHead(id, "staging")).toBe(broken); // the merge itself happened…
    const staging = (await envs(id)).staging!;
    expect(staging).toMatchObject({ status: "active", deployedCommit: previous }); // …but the old deployment serves
    expect((await fetchSite(id, "staging")).body).toContain(`<code id="commit">${previous}</code>`);
  });

  it("lets exactly one of 20 concurrent Activate requests take Starter's last slot", async () => {
    const { admin, id } = await starterProject();
    for (const name of ["a", "b", "c", "d", "e"]) {
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name, title: "", type: "development" });
      await worker.idle(); // the parent is busy until its child is branched
    }
    const e = await envs(id);
    expect(["a", "b", "c", "d", "e"].map((n) => e[n]!.status)).toEqual(["active", "active", "inactive", "inactive", "inactive"]);
    await requestEnvironmentAction(db(), admin, id, "b", { action: "deactivate", confirmation: "b" });
    await worker.idle();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => requestEnvironmentAction(db(), admin, id, ["c", "d", "e"][i % 3]!, { action: "activate" })),
    );
    const accepted = results.filter((r) => r.status === "fulfilled");
    expect(accepted).toHaveLength(1);
    const reasons = new Set(results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : [])));
    expect([...reasons].some((m) => m.startsWith("Starter allows 4 active environments"))).toBe(true);
    await worker.idle();
    expect(Object.values(await envs(id)).filter((x) => x.status === "active")).toHaveLength(4);
    // The check reads the live environments, the one asked about and its family, not every
    // branch: an inactive branch's name is still taken, and the limit names the active ones only.
    const inactive = Object.values(await envs(id)).filter((x) => x.status === "inactive").map((x) => x.name);
    expect(inactive).toHaveLength(3); // b, deactivated, and the two not activated
    await expect(requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: inactive[0]!, title: "", type: "development" })).rejects.toThrow(
      `“${inactive[0]}” is already a branch of this project.`,
    );
    const refused = await requestEnvironmentAction(db(), admin, id, inactive[1]!, { action: "activate" }).catch((e: Error) => e.message);
    expect(refused).toMatch(/^Starter allows 4 active environments \(master, staging, a, [cde]\): deactivate one first\.$/);
    await fsck(id);
  });

  it("refuses what the rules refuse, with the reason, and writes nothing", async () => {
    const { admin, id } = await starterProject();
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    const before = await db().select().from(activities).where(eq(activities.projectId, id));
    await expect(requestEnvironmentAction(db(), viewer, id, "staging", { action: "branch", name: "x", title: "", type: "development" })).rejects.toThrow(
      "Viewers cannot branch",
    );
    await expect(requestEnvironmentAction(db(), admin, id, "master", { action: "deactivate", confirmation: "master" })).rejects.toThrow("Production cannot be deactivated.");
    for (const name of ["a..b", "with space", "Upper", "semi;colon", "ünï", "x".repeat(200), "staging"]) {
      await expect(requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name, title: "", type: "development" })).rejects.toMatchObject({
        fieldErrors: { name: [expect.any(String)] },
      });
    }
    await expect(requestEnvironmentAction(db(), admin, id, "nope", { action: "redeploy" })).rejects.toThrow("There is no environment");
    await expect(requestEnvironmentAction(db(), await makeUser(db()), id, "staging", { action: "redeploy" })).rejects.toMatchObject({ code: "not_found" });
    expect(await db().select().from(activities).where(eq(activities.projectId, id))).toHaveLength(before.length);
  });

  it("fails an activity whose worker died, with a log line, and frees its environment", async () => {
    const { admin, id } = await starterProject();
    await worker.stop();
    try {
      const act = await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      const [dispatched] = await dispatchActivities(db());
      expect(dispatched?.activityId).toBe(act.id);
      const claimed = await claimDispatchedActivity(db(), act.id, dispatched!.jobId, "dead-worker");
      expect(claimed?.id).toBe(act.id);
      await db().update(activities).set({ heartbeatAt: new Date(Date.now() - 60_000) }).where(eq(activities.id, act.id));
      expect(await recoverStaleActivities(db(), new Date(), (tx, a) => settleActivityEnvironment(tx, a, "failure"))).toBe(1);
      const [after] = await db().select().from(activities).where(eq(activities.id, act.id));
      expect(after).toMatchObject({ state: "complete", result: "failure" });
      expect(await logOf(act.id)).toContain("(dead-worker) stopped responding; the activity was marked failed.");
      const [staging] = await db().select().from(environments).where(eq(environments.id, act.environmentId!));
      expect(staging!.status).toBe("active");
    } finally {
      worker = startActivityWorker(db(), { concurrency: 2 });
    }
  });
});


describeEachDatabase("editing environments", ({ db }) => {
  it("renames and re-parents, refusing cycles and Production", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("edit");
    await createProject(db(), admin, { id, title: "Edit", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "a", title: "", type: "development" });
      await worker.idle();
      await requestEnvironmentAction(db(), admin, id, "a", { action: "branch", name: "b", title: "", type: "development" });
      await worker.idle();
      await expect(updateEnvironment(db(), admin, id, "a", { title: "A", parent: "b" })).rejects.toThrow("one of its descendants");
      await expect(updateEnvironment(db(), admin, id, "a", { title: "A", parent: "a" })).rejects.toThrow("the environment itself");
      await expect(updateEnvironment(db(), admin, id, "master", { title: "Prod", parent: "" })).rejects.toThrow("Production's title and parent are fixed.");
      await updateEnvironment(db(), admin, id, "b", { title: "Bee", parent: "staging" });
      const all = await listEnvironments(db(), id);
      const b = all.find((e) => e.name === "b")!;
      expect(b).toMatchObject({ title: "Bee", parentId: all.find((e) => e.name === "staging")!.id });
    } finally {
      await worker.stop();
    }
  });
});
