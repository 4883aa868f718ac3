import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { projectMembers, projects } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { startActivityWorker } from "@/lib/activity-runners";
import { listEnvironments } from "@/lib/environments/queries";
import { dataPaths, projectPaths } from "@/lib/paths";
import { currentDataPath } from "@/lib/runtime/volumes";
import { listSnapshots, requestSnapshot } from "@/lib/snapshots/snapshots";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { getProjectAccess, listProjectsForUser } from "@/lib/auth/project-access";
import { createProject } from "./create-project";
import { deleteProject, renameProject } from "./update-project";

const input = (id: string, plan: "starter" | "pro" = "pro") => ({ id, title: `Store ${id}`, plan, region: "eu-5" as const });

describeEachDatabase("projects", ({ db }) => {
  // First: its worker would also deploy every project the tests before it created (they start no worker).
  it("deletes everything a project keeps on disk: the same id made again finds nothing of the old one", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("again");
    await createProject(db(), admin, input(id, "starter"));
    const worker = startActivityWorker(db());
    try {
      await worker.idle(); // deployed: builds, deploys and volumes exist
      fs.writeFileSync(path.join(currentDataPath(id, "staging"), "mounts", "var", "customers.csv"), "old customers");
      await requestSnapshot(db(), admin, id, "staging", { consistency: "live", replaceOldest: false });
      await worker.idle();
      for (const dir of projectPaths(id)) expect(fs.existsSync(dir), dir).toBe(true);
      await deleteProject(db(), admin, id, id);
      for (const dir of projectPaths(id)) expect(fs.existsSync(dir), dir).toBe(false);

      await createProject(db(), admin, input(id, "starter"));
      await worker.idle();
      expect(fs.existsSync(path.join(currentDataPath(id, "staging"), "mounts", "var", "customers.csv"))).toBe(false);
      expect(fs.existsSync(dataPaths.snapshots(id)) ? fs.readdirSync(dataPaths.snapshots(id)) : []).toEqual([]);
      const staging = (await listEnvironments(db(), id)).find((e) => e.name === "staging")!;
      expect(await listSnapshots(db(), (await getProjectAccess(db(), admin, id))!, staging)).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  it("makes the creator project admin with admin on every environment type", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId();
    const project = await createProject(db(), admin, input(id));
    expect(project).toMatchObject({ id, plan: "pro", region: "eu-5", createdBy: admin.id });
    const access = await getProjectAccess(db(), admin, id);
    expect(access).toMatchObject({ role: "admin", environmentRoles: { production: "admin", staging: "admin", development: "admin" } });
  });

  it("refuses a taken id with a free suggestion and writes nothing", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId();
    await createProject(db(), admin, input(id));
    const again = createProject(db(), admin, { ...input(id), title: "Other" });
    await expect(again).rejects.toMatchObject({ code: "conflict", fieldErrors: { id: [expect.stringContaining(`“${id}-2”`)] } });
    const rows = await db().select().from(projects).where(eq(projects.id, id));
    expect(rows.map((r) => r.title)).toEqual([`Store ${id}`]);
  });

  it("lets only instance administrators create projects", async () => {
    const user = await makeUser(db());
    const id = uniqueProjectId();
    await expect(createProject(db(), user, input(id))).rejects.toMatchObject({ code: "forbidden" });
    expect(await db().select().from(projects).where(eq(projects.id, id))).toEqual([]);
  });

  it("shows a user only the projects they belong to; administrators see all", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const member = await makeUser(db());
    const outsider = await makeUser(db());
    const id = uniqueProjectId();
    await createProject(db(), admin, input(id));
    await db().insert(projectMembers).values({ projectId: id, userId: member.id, role: "viewer", developmentRole: "contributor" });

    expect((await listProjectsForUser(db(), member)).map((p) => p.id)).toEqual([id]);
    expect((await listProjectsForUser(db(), member))[0]).toMatchObject({ memberCount: 2, role: "viewer" });
    expect(await listProjectsForUser(db(), outsider)).toEqual([]);
    expect(await getProjectAccess(db(), outsider, id)).toBeNull();
    expect((await listProjectsForUser(db(), await makeUser(db(), { isAdmin: true }))).map((p) => p.id)).toContain(id);

    const otherAdmin = await makeUser(db(), { isAdmin: true });
    expect(await getProjectAccess(db(), otherAdmin, id)).toMatchObject({ role: null, environmentRoles: { production: "viewer" } });
    expect(await getProjectAccess(db(), member, id)).toMatchObject({ role: "viewer", environmentRoles: { development: "contributor", production: "none" } });
  });

  it("lets only a project admin rename, and a forged id finds nothing", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const viewer = await makeUser(db());
    const id = uniqueProjectId();
    await createProject(db(), admin, input(id));
    await db().insert(projectMembers).values({ projectId: id, userId: viewer.id, role: "viewer" });

    await expect(renameProject(db(), viewer, id, "Hacked")).rejects.toMatchObject({ code: "forbidden" });
    await expect(renameProject(db(), await makeUser(db()), id, "Hacked")).rejects.toMatchObject({ code: "not_found" });
    await expect(renameProject(db(), await makeUser(db(), { isAdmin: true }), id, "Hacked")).rejects.toMatchObject({ code: "forbidden" });
    expect((await renameProject(db(), admin, id, "Renamed")).title).toBe("Renamed");
    expect((await getProjectAccess(db(), admin, id))!.project.title).toBe("Renamed");
  });

  it("deletes only after the id is typed, and removes the members with it", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId();
    await createProject(db(), admin, input(id, "starter"));
    await expect(deleteProject(db(), admin, id, "wrong")).rejects.toMatchObject({ code: "invalid" });
    expect(await getProjectAccess(db(), admin, id)).not.toBeNull();
    await deleteProject(db(), admin, id, ` ${id} `);
    expect(await getProjectAccess(db(), admin, id)).toBeNull();
    expect(await db().select().from(projectMembers).where(eq(projectMembers.projectId, id))).toEqual([]);
  });
});
