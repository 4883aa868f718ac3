import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { getProjectAccess, listProjectsForUser } from "@/lib/auth/project-access";
import { createProject } from "./create-project";
import { addProjectMember, listProjectMembers, removeProjectMember, updateProjectMember } from "./members";

const viewerRoles = { role: "viewer", production: "none", staging: "viewer", development: "contributor" } as const;

describeEachDatabase("project members", ({ db }) => {
  async function setup() {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId();
    await createProject(db(), admin, { id, title: "Shop", plan: "starter", region: "us-3" });
    return { admin, id };
  }

  it("adds an existing account with per-type roles; the member then sees the project", async () => {
    const { admin, id } = await setup();
    const person = await makeUser(db());
    expect(await getProjectAccess(db(), person, id)).toBeNull();
    await addProjectMember(db(), admin, id, person.email.toUpperCase(), viewerRoles);
    expect(await getProjectAccess(db(), person, id)).toMatchObject({
      role: "viewer",
      environmentRoles: { production: "none", staging: "viewer", development: "contributor" },
    });
    expect((await listProjectsForUser(db(), person)).map((p) => p.id)).toEqual([id]);
  });

  it("refuses an unknown email and a second membership with field errors", async () => {
    const { admin, id } = await setup();
    await expect(addProjectMember(db(), admin, id, "nobody@example.com", viewerRoles)).rejects.toMatchObject({
      fieldErrors: { email: [expect.stringContaining("No account has this email")] },
    });
    const person = await makeUser(db());
    await addProjectMember(db(), admin, id, person.email, viewerRoles);
    await expect(addProjectMember(db(), admin, id, person.email, viewerRoles)).rejects.toMatchObject({ code: "conflict" });
  });

  it("gives a project admin admin on every environment type, whatever was sent", async () => {
    const { admin, id } = await setup();
    const person = await makeUser(db());
    await addProjectMember(db(), admin, id, person.email, { ...viewerRoles, role: "admin" });
    expect(await getProjectAccess(db(), person, id)).toMatchObject({
      role: "admin",
      environmentRoles: { production: "admin", staging: "admin", development: "admin" },
    });
  });

  it("lets only project admins change access", async () => {
    const { admin, id } = await setup();
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, viewer.email, viewerRoles);
    const other = await makeUser(db());
    await expect(addProjectMember(db(), viewer, id, other.email, viewerRoles)).rejects.toMatchObject({ code: "forbidden" });
    await expect(updateProjectMember(db(), viewer, id, viewer.id, { ...viewerRoles, role: "admin" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(removeProjectMember(db(), other, id, admin.id)).rejects.toMatchObject({ code: "not_found" });
    expect(await getProjectAccess(db(), viewer, id)).toMatchObject({ role: "viewer" });
  });

  it("never leaves a project without a project admin", async () => {
    const { admin, id } = await setup();
    await expect(updateProjectMember(db(), admin, id, admin.id, viewerRoles)).rejects.toThrow("at least one project admin");
    await expect(removeProjectMember(db(), admin, id, admin.id)).rejects.toThrow("at least one project admin");

    const second = await makeUser(db());
    await addProjectMember(db(), admin, id, second.email, { ...viewerRoles, role: "admin" });
    await updateProjectMember(db(), admin, id, admin.id, viewerRoles);
    const access = await getProjectAccess(db(), admin, id);
    expect(access?.role).toBe("viewer");
    expect((await listProjectMembers(db(), access!)).map((m) => [m.email, m.role])).toEqual([
      [admin.email, "viewer"],
      [second.email, "admin"],
    ]);
    await removeProjectMember(db(), second, id, admin.id);
    expect(await getProjectAccess(db(), admin, id)).toMatchObject({ role: null }); // still an instance administrator
  });
});
