import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { getProjectAccess } from "@/lib/auth/project-access";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { ZERO_SHA } from "@/lib/git/push-gate";
import { listActivities, listEnvironments } from "./queries";
import { defaultParentFor, pushProblem } from "./receive-push";
import { setDefaultBranchParent } from "@/lib/projects/update-project";
import { requestEnvironmentAction } from "./request-action";

const sha = "a".repeat(40);
const update = (ref: string, newSha = sha) => ({ oldSha: ZERO_SHA, newSha, ref });

describeEachDatabase("push permissions", ({ db }) => {
  it("lets contributors push where their role reaches, refuses viewers, tags and bad names", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("push");
    await createProject(db(), admin, { id, title: "Push", plan: "starter", region: "us-3" });
    const dev = await makeUser(db());
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, dev.email, { role: "viewer", production: "viewer", staging: "viewer", development: "contributor" });
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    const devAccess = (await getProjectAccess(db(), dev, id))!;
    const viewerAccess = (await getProjectAccess(db(), viewer, id))!;

    expect(await pushProblem(db(), devAccess, [update("refs/heads/new-feature")])).toBeNull();
    expect(await pushProblem(db(), devAccess, [update("refs/heads/staging")])).toBe("Pushing to Staging environments needs the contributor role; you are a viewer.");
    expect(await pushProblem(db(), viewerAccess, [update("refs/heads/new-feature")])).toBe("Pushing to Integration environments needs the contributor role; you are a viewer.");
    expect(await pushProblem(db(), devAccess, [update("refs/tags/v1")])).toBe("Only branches can be pushed (not refs/tags/v1).");
    expect(await pushProblem(db(), devAccess, [update("refs/heads/Bad_Name")])).toContain("cannot become an environment");
    const adminAccess = (await getProjectAccess(db(), admin, id))!;
    expect(await pushProblem(db(), adminAccess, [update("refs/heads/staging", ZERO_SHA)])).toContain("delete it in the console");
  });
});

describeEachDatabase("data follows access", ({ db }) => {
  it("refuses Sync with data from Production to a member without access to Production, and records nothing", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("follow");
    await createProject(db(), admin, { id, title: "Follow", plan: "starter", region: "us-3" });
    const member = await makeUser(db());
    await addProjectMember(db(), admin, id, member.email, { role: "viewer", production: "none", staging: "admin", development: "admin" });
    const before = (await listActivities(db(), id)).length;
    await expect(requestEnvironmentAction(db(), member, id, "staging", { action: "sync", code: false, data: true, rebase: false })).rejects.toThrow(
      "Sync copies the code and data of its parent Production, and you have no access to Production environments.",
    );
    expect((await listActivities(db(), id)).length).toBe(before);
  });

  it("hangs pushed branches under Integration on Pro, under the project's chosen default, or under -o environment.parent", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("parent");
    await createProject(db(), admin, { id, title: "Parents", plan: "pro", region: "us-3" });
    const project = async () => (await getProjectAccess(db(), admin, id))!.project;
    const all = await listEnvironments(db(), id);
    expect(defaultParentFor(await project(), all)?.name).toBe("integration");
    expect(defaultParentFor(await project(), all, "staging")?.name).toBe("staging");
    await setDefaultBranchParent(db(), admin, id, "staging");
    expect(defaultParentFor(await project(), all)?.name).toBe("staging");
    await expect(setDefaultBranchParent(db(), admin, id, "nowhere")).rejects.toMatchObject({ fieldErrors: { parent: [expect.stringContaining("nowhere")] } });
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    await expect(setDefaultBranchParent(db(), viewer, id, null)).rejects.toMatchObject({ code: "forbidden" });
    await setDefaultBranchParent(db(), admin, id, null);
    expect((await project()).defaultBranchParent).toBeNull();
    // Starter: the root.
    const starter = uniqueProjectId("parent");
    await createProject(db(), admin, { id: starter, title: "Starter", plan: "starter", region: "us-3" });
    expect(defaultParentFor((await getProjectAccess(db(), admin, starter))!.project, await listEnvironments(db(), starter))?.name).toBe("master");
  });
});
