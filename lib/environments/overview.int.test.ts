import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, deployments, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getProjectAccess } from "@/lib/auth/project-access";
import { addProjectMember } from "@/lib/projects/members";
import { makeUser, starterProject } from "@/lib/testing-fixtures";
import { getProjectOverview, listInactiveEnvironments } from "./overview";

describeEachDatabase("the overview folds inactive environments on the server", ({ db }) => {
  /** Two hours ago: long enough for a branch not to be new any more (shown unfolded, marked "new", for an hour). */
  const twoHoursAgo = () => new Date(Date.now() - 2 * 60 * 60_000);

  /** master ← staging ← 30 inactive leaves, and an inactive "old" with an active "hotfix" under it (all made hours ago). */
  async function bigProject() {
    const { admin, id, access } = await starterProject(db(), "fold");
    const [staging] = await db().select().from(environments).where(and(eq(environments.name, "staging"), eq(environments.projectId, id)));
    const leaves = Array.from({ length: 30 }, (_, i) => ({ projectId: id, name: `leaf-${i}`, title: `Leaf ${i}`, parentId: staging!.id, type: "development" as const, status: "inactive" as const, createdAt: twoHoursAgo() }));
    await db().insert(environments).values(leaves);
    const [old] = await db().insert(environments).values({ projectId: id, name: "old", title: "Old", parentId: staging!.id, type: "development", status: "inactive", createdAt: twoHoursAgo() }).returning();
    await db().insert(environments).values({ projectId: id, name: "hotfix", title: "Hotfix", parentId: old!.id, type: "development", status: "active" });
    return { admin, id, access, staging: staging!, old: old! };
  }

  it("shows what is not inactive and the inactive ancestors of it; counts the rest by parent", async () => {
    const { access, staging } = await bigProject();
    const overview = await getProjectOverview(db(), access);
    expect(overview.environments.map((e) => e.name).sort()).toEqual(["hotfix", "master", "old", "staging"]);
    expect(overview.folded).toEqual([{ parentId: staging.id, count: 30 }]);
    expect(overview.usage.label).toBe("3 of 4 active environments");
    // The page of a folded environment holds it (and the rules see Delete's children).
    const leaf = await getProjectOverview(db(), access, { environmentId: (await db().select().from(environments).where(and(eq(environments.name, "leaf-7"), eq(environments.projectId, access.project.id))))[0]!.id });
    expect(leaf.environments.find((e) => e.name === "leaf-7")).toMatchObject({ status: "inactive" });
    expect(leaf.folded).toEqual([{ parentId: staging.id, count: 29 }]);
    const onStaging = await getProjectOverview(db(), access, { environmentId: staging.id });
    expect(onStaging.environments.find((e) => e.name === "staging")!.actions!.delete).toMatchObject({ allowed: false });
    // Unfolded: every inactive one (the tree leaves out those it already shows).
    const inactive = await listInactiveEnvironments(db(), access);
    expect(inactive).toHaveLength(31);
    expect(inactive.find((e) => e.name === "leaf-0")).toMatchObject({ status: "inactive", parentName: "staging", busy: null });
  });

  it("shows a branch made in the last hour unfolded and marked new, and counts only the older ones", async () => {
    const { access, staging } = await bigProject();
    await db().insert(environments).values({ projectId: access.project.id, name: "just-pushed", title: "just-pushed", parentId: staging.id, type: "development", status: "inactive" });
    const overview = await getProjectOverview(db(), access);
    expect(overview.environments.map((e) => e.name).sort()).toEqual(["hotfix", "just-pushed", "master", "old", "staging"]);
    expect(overview.environments.find((e) => e.name === "just-pushed")).toMatchObject({ status: "inactive", isNew: true });
    expect(overview.environments.filter((e) => e.isNew).map((e) => e.name)).toEqual(["just-pushed"]); // not "old" (hours old), not an active one
    expect(overview.folded).toEqual([{ parentId: staging.id, count: 30 }]);
    // Unfolded, the list marks it too (the tree leaves it out: it already shows it).
    const inactive = await listInactiveEnvironments(db(), access);
    expect(inactive.find((e) => e.name === "just-pushed")).toMatchObject({ isNew: true });
    expect(inactive.find((e) => e.name === "leaf-3")).toMatchObject({ isNew: false });
  });

  it("unfolds at most the 20 newest of a burst of pushed branches, and counts the rest", async () => {
    const { access, staging } = await bigProject();
    const at = (seconds: number) => new Date(Date.now() - seconds * 1000);
    await db().insert(environments).values(Array.from({ length: 25 }, (_, i) => ({ projectId: access.project.id, name: `burst-${i}`, title: `Burst ${i}`, parentId: staging.id, type: "development" as const, status: "inactive" as const, createdAt: at(100 - i) })));
    const overview = await getProjectOverview(db(), access);
    const shownNew = overview.environments.filter((e) => e.isNew).map((e) => e.name);
    expect(shownNew).toHaveLength(20);
    expect(shownNew).not.toContain("burst-0"); // the oldest five stay folded
    expect(shownNew).toContain("burst-24");
    expect(overview.folded).toEqual([{ parentId: staging.id, count: 35 }]);
  });

  it("shows every inactive ancestor of an active branch, however deep the chain", async () => {
    const { id, access, staging } = await starterProject(db(), "deep").then(async (p) => ({ ...p, staging: (await db().select().from(environments).where(and(eq(environments.name, "staging"), eq(environments.projectId, p.id))))[0]! }));
    let parent = staging.id;
    for (let i = 0; i < 40; i++) {
      const [row] = await db().insert(environments).values({ projectId: id, name: `level-${i}`, title: `Level ${i}`, parentId: parent, type: "development", status: i === 39 ? "active" : "inactive" }).returning();
      parent = row!.id;
    }
    const overview = await getProjectOverview(db(), access);
    expect(overview.environments.filter((e) => e.name.startsWith("level-"))).toHaveLength(40);
    expect(overview.folded).toEqual([]);
  });

  it("counts and lists only the types a member may see", async () => {
    const { admin, id } = await bigProject();
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "none" });
    const access = (await getProjectAccess(db(), viewer, id))!;
    const overview = await getProjectOverview(db(), access);
    expect(overview.environments.map((e) => e.name).sort()).toEqual(["master", "staging"]);
    expect(overview.folded).toEqual([]);
    expect(await listInactiveEnvironments(db(), access)).toEqual([]);
  });

  it("gives each shown environment its newest activity and its last deploy's fingerprints, an inactive ancestor too", async () => {
    const { id, access, staging, old } = await bigProject();
    const [master] = await db().select().from(environments).where(and(eq(environments.name, "master"), eq(environments.projectId, id)));
    const now = Date.now() + 60_000; // after the project's own first activities
    const at = (minutes: number) => new Date(now + minutes * 60_000);
    const activity = (environmentId: string, description: string, minutes: number) => ({ projectId: id, environmentId, environmentName: "x", type: "environment.redeploy", state: "complete" as const, result: "success" as const, description, createdAt: at(minutes) });
    await db().insert(activities).values([activity(master!.id, "older", 1), activity(master!.id, "newest", 3), activity(master!.id, "middle", 2), activity(old.id, "on the old one", 1)]);
    // staging's last deploy is from before fingerprints (both null): nothing to compare, so
    // nothing "changed"; the older deploy's stale fingerprints would say both changed.
    const deploy = (minutes: number, digest: string | null) => ({ environmentId: staging.id, commit: "c", treeId: "t", config: {}, buildReused: false, buildMs: 1, deployMs: 1, variablesDigest: digest, routerDigest: digest, createdAt: at(minutes) });
    await db().insert(deployments).values([deploy(1, "stale"), deploy(2, null)]);
    const overview = await getProjectOverview(db(), access);
    const shown = (name: string) => overview.environments.find((e) => e.name === name)!;
    expect(shown("master").lastActivity).toMatchObject({ description: "newest", at: at(3).toISOString() });
    expect(shown("old").lastActivity).toMatchObject({ description: "on the old one" });
    expect(shown("hotfix").lastActivity).toBeNull();
    expect(shown("staging")).toMatchObject({ variablesChanged: false, settingsChanged: false });
    // Now its newest deploy has the stale fingerprints.
    await db().insert(deployments).values(deploy(3, "stale"));
    expect((await getProjectOverview(db(), access)).environments.find((e) => e.name === "staging")).toMatchObject({ variablesChanged: true, settingsChanged: true });
  });
});
