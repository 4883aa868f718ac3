import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { deployments, variables } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { getProjectAccess } from "@/lib/auth/project-access";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { createProject } from "@/lib/projects/create-project";
import { addProjectMember } from "@/lib/projects/members";
import { buildsDir, environmentDeployDir } from "@/lib/runtime/deploy";
import { makeUser, starterProject, uniqueProjectId, withWorker, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { createVariable, deleteVariable, environmentsWithChangedVariables, importVariables, listVariables, resolveEnvironmentVariables, updateVariable, variableInputSchema } from "./variables";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

const input = (name: string, value: string, more: Record<string, unknown> = {}) => variableInputSchema.parse({ name, value, ...more });

describeEachDatabase("variables", ({ db }) => {
  it("hooks see exactly the effective variables for build and for runtime; build-visible changes rebuild, runtime-only ones reuse the build; sensitive values never show", async () => {
    const { admin, id, access } = await starterProject(db(), "vars");
    await withWorker(db(), async (worker) => {
      await worker.idle();
      // Hooks that print what they get.
      const app = fs.readFileSync(path.join(environmentDeployDir(id, "staging"), "current", ".magento.app.yaml"), "utf8");
      const printer = (phase: string) => `echo "${phase} FOO=$FOO SECRET=$SECRET MCV=$(echo $MAGENTO_CLOUD_VARIABLES | base64 -d)"`;
      await commitOn(
        id,
        "staging",
        { ".magento.app.yaml": app.replace("  build: |\n    set -e\n", `  build: |\n    set -e\n    ${printer("build")}\n`).replace("  deploy: |\n    set -e\n", `  deploy: |\n    set -e\n    ${printer("deploy")}\n`) },
        "Print the variables",
      );
      await createVariable(db(), access, null, input("env:FOO", "from-project"));
      await createVariable(db(), access, "staging", input("env:FOO", "from-staging"));
      await createVariable(db(), access, null, input("ADMIN_EMAIL", "ops@example.com", { visibleBuild: false }));
      await createVariable(db(), access, null, input("settings", '{"a":[1,2]}', { isJson: true }));
      const secret = (await createVariable(db(), access, "staging", input("env:SECRET", "hunter2-very-secret", { isSensitive: true }))).variable;

      // Never in clear: not in the table, not in a list, not in the answer of a save.
      expect(secret.value).toBeNull();
      const [stored] = await db().select().from(variables).where(eq(variables.id, secret.id));
      expect(stored!.value).not.toContain("hunter2");
      expect((await listVariables(db(), access, "staging")).find((v) => v.name === "env:SECRET")).toMatchObject({ value: null, isSensitive: true });
      await expect(updateVariable(db(), access, secret.id, input("env:SECRET", "x", { isSensitive: false }))).rejects.toThrow("stays sensitive");

      // Each save of staging's variables redeployed it (at its deployed commit); then a data Sync
      // deploys the branch head (with the printing hooks); later Redeploys deploy that commit again.
      await worker.idle();
      const first = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: false, data: true, rebase: false });
      await worker.idle();
      const lines = (await getActivityLog(db(), first.id)).map((l) => l.text);
      const build = lines.find((l) => l.startsWith("build FOO="));
      const deploy = lines.find((l) => l.startsWith("deploy FOO="));
      expect(build).toBe('build FOO=from-staging SECRET=****** MCV={"settings":{"a":[1,2]}}');
      expect(deploy).toBe('deploy FOO=from-staging SECRET=****** MCV={"ADMIN_EMAIL":"ops@example.com","settings":{"a":[1,2]}}');
      expect(lines.join("\n")).not.toContain("hunter2");

      // A runtime-only change reuses the build; a build-visible one builds again.
      const builds = () => fs.readdirSync(buildsDir(id)).filter((d) => !d.includes(".tmp")).length;
      const before = builds();
      const adminEmail = (await listVariables(db(), access, null)).find((v) => v.name === "ADMIN_EMAIL")!;
      await updateVariable(db(), access, adminEmail.id, input("ADMIN_EMAIL", "other@example.com", { visibleBuild: false }));
      const second = await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      await worker.idle();
      expect((await getActivityLog(db(), second.id)).some((l) => l.text.startsWith("Reusing the build"))).toBe(true);
      expect(builds()).toBe(before);
      const foo = (await listVariables(db(), access, "staging")).find((v) => v.name === "env:FOO")!;
      // Saving an environment's variable redeploys it (and builds again: FOO is build-visible).
      const third = await updateVariable(db(), access, foo.id, input("env:FOO", "changed"));
      expect(third.redeploys).toBe(true);
      await worker.idle();
      expect((await getActivityLog(db(), third.activityId)).some((l) => l.text === "build FOO=changed SECRET=****** MCV={\"settings\":{\"a\":[1,2]}}")).toBe(true);
      expect(builds()).toBe(before + 1);
    });
  });

  it("refuses bad input and the wrong roles with a sentence, writing nothing", async () => {
    const { admin, id, access } = await starterProject(db(), "vars");
    expect(variableInputSchema.safeParse({ name: "HAS SPACE", value: "x" }).success).toBe(false);
    expect(variableInputSchema.safeParse({ name: "x".repeat(257), value: "x" }).success).toBe(false);
    expect(variableInputSchema.safeParse({ name: "J", value: "{not json", isJson: true }).error?.issues[0]?.message).toContain("not valid JSON");
    expect(variableInputSchema.safeParse({ name: "BIG", value: "x".repeat(100 * 1024 + 1) }).success).toBe(false);
    expect(variableInputSchema.safeParse({ name: "HUGE", value: "x".repeat(10 * 1024 * 1024) }).error?.issues[0]?.message).toContain("at most 100 KiB");
    for (const name of ["NUL\u0000", "TAB\tX", "evil\u202Egnp", "zero\u200Bwidth"]) expect(variableInputSchema.safeParse({ name, value: "x" }).success, JSON.stringify(name)).toBe(false);
    await createVariable(db(), access, null, input("ONE", "1"));
    await expect(createVariable(db(), access, null, input("ONE", "2"))).rejects.toMatchObject({ code: "conflict" });
    const viewer = await makeUser(db());
    await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
    const viewerAccess = (await getProjectAccess(db(), viewer, id))!;
    await expect(createVariable(db(), viewerAccess, null, input("TWO", "2"))).rejects.toMatchObject({ code: "forbidden" });
    await expect(createVariable(db(), viewerAccess, "staging", input("TWO", "2"))).rejects.toMatchObject({ code: "forbidden" });
    const one = (await listVariables(db(), viewerAccess, null))[0]!;
    await expect(deleteVariable(db(), viewerAccess, one.id)).rejects.toMatchObject({ code: "forbidden" });
    expect((await listVariables(db(), access, null)).map((v) => v.name)).toEqual(["ONE"]);
    // Another project's admin cannot reach this project's variable by its id.
    const otherId = uniqueProjectId("vars");
    await createProject(db(), admin, { id: otherId, title: "Other", plan: "starter", region: "us-3" });
    const otherAccess = (await getProjectAccess(db(), admin, otherId))!;
    await expect(deleteVariable(db(), otherAccess, one.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(updateVariable(db(), otherAccess, one.id, input("ONE", "stolen"))).rejects.toMatchObject({ code: "not_found" });
    expect((await listVariables(db(), access, null))[0]).toMatchObject({ name: "ONE", value: "1" });
    // A value sealed under another key is a clear error, not garbage.
    const sealed = (await createVariable(db(), access, null, input("S", "secret-value", { isSensitive: true }))).variable;
    await db().update(variables).set({ value: "v1.otherkey.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA" }).where(eq(variables.id, sealed.id));
    const staging = (await db().query.environments.findFirst({ where: (e, { and, eq: is }) => and(is(e.projectId, id), is(e.name, "staging")) }))!;
    await expect(resolveEnvironmentVariables(db(), id, staging.id)).rejects.toThrow("saved with another encryption key");
  });

  it("records each save as an activity: an environment's redeploys only it, a project's redeploys nothing; the badge follows; every activity of the project redacts its sensitive values", async () => {
    const { admin, id, access } = await starterProject(db(), "vars");
    const worker = startActivityWorker(db());
    const envId = async (name: string) => (await db().query.environments.findFirst({ where: (e, { and, eq: is }) => and(is(e.projectId, id), is(e.name, name)) }))!.id;
    const changedNames = async () => {
      const ids = await environmentsWithChangedVariables(db(), id);
      const all = await db().query.environments.findMany({ where: (e, { eq: is }) => is(e.projectId, id) });
      return all.filter((e) => ids.has(e.id)).map((e) => e.name).sort();
    };
    const deploysOf = async (name: string) => (await db().select().from(deployments).where(eq(deployments.environmentId, await envId(name)))).length;
    try {
      await worker.idle();
      const child = await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "child", title: "Child", type: "development" });
      await worker.idle();
      expect((await db().query.activities.findFirst({ where: (a, { eq: is }) => is(a.id, child.id) }))?.result).toBe("success");
      expect(await changedNames()).toEqual([]);

      // A project variable: recorded, nothing redeployed, every active environment says "redeploy to apply".
      const deploysBefore = (await db().select().from(deployments)).length;
      const project = await createVariable(db(), access, null, input("SHARED", "1"), admin.id);
      expect(project.redeploys).toBe(false);
      const projectActivity = (await db().query.activities.findFirst({ where: (a, { eq: is }) => is(a.id, project.activityId) }))!;
      expect(projectActivity).toMatchObject({ type: "project.variable.create", environmentId: null, environmentName: null, state: "complete", result: "success", description: "Add project variable SHARED", parameters: { names: ["SHARED"] }, createdBy: admin.id });
      await worker.idle();
      expect((await db().select().from(deployments)).length).toBe(deploysBefore);
      expect(await changedNames()).toEqual(["child", "master", "staging"]);
      // A redeploy clears it for that environment only.
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      await worker.idle();
      expect(await changedNames()).toEqual(["child", "master"]);

      // An environment variable redeploys that environment, not its children (which now differ).
      const [childDeploys, masterDeploys] = [await deploysOf("child"), await deploysOf("master")];
      const own = await createVariable(db(), access, "master", input("env:ONLY_MASTER", "m"), admin.id);
      expect(own.redeploys).toBe(true);
      const ownActivity = (await db().query.activities.findFirst({ where: (a, { eq: is }) => is(a.id, own.activityId) }))!;
      expect(ownActivity).toMatchObject({ type: "environment.variable.create", environmentName: "master", state: "pending", description: "Add variable env:ONLY_MASTER to master" });
      await worker.idle();
      expect((await db().query.activities.findFirst({ where: (a, { eq: is }) => is(a.id, own.activityId) }))?.result).toBe("success");
      expect(await deploysOf("master")).toBe(masterDeploys + 1);
      expect(await deploysOf("child")).toBe(childDeploys);
      expect(await changedNames()).toEqual(["child", "staging"]);
      const staged = await createVariable(db(), access, "staging", input("env:STAGED", "s"), admin.id);
      await worker.idle();
      expect(await deploysOf("child")).toBe(childDeploys);
      expect(await changedNames()).toEqual(["child"]);
      // Updating and deleting are activities too.
      const updated = await updateVariable(db(), access, staged.variable.id, input("env:STAGED", "t"), admin.id);
      const deleted = await deleteVariable(db(), access, staged.variable.id, admin.id);
      await worker.idle();
      for (const [a, type] of [[updated.activityId, "environment.variable.update"], [deleted.activityId, "environment.variable.delete"]] as const) {
        expect(await db().query.activities.findFirst({ where: (x, { eq: is }) => is(x.id, a) })).toMatchObject({ type, environmentName: "staging", result: "success" });
      }

      // An inactive environment has nothing to redeploy: the save is recorded done, with why.
      await requestEnvironmentAction(db(), admin, id, "child", { action: "deactivate", confirmation: "child" });
      await worker.idle();
      expect(await changedNames()).toEqual([]);
      const inactive = await createVariable(db(), access, "child", input("env:LATER", "x"), admin.id);
      expect(inactive.redeploys).toBe(false);
      expect((await getActivityLog(db(), inactive.activityId)).map((l) => l.text).join("\n")).toContain("child is inactive: there is nothing to redeploy");

      // A sensitive value is ****** in every activity of the project, even where the variable does not apply.
      await createVariable(db(), access, "master", input("env:MASTER_ONLY_SECRET", "hunter2-elsewhere", { isSensitive: true, inheritable: false }), admin.id);
      await worker.idle();
      const app = fs.readFileSync(path.join(environmentDeployDir(id, "staging"), "current", ".magento.app.yaml"), "utf8");
      await commitOn(id, "staging", { ".magento.app.yaml": app.replace("  deploy: |\n    set -e\n", "  deploy: |\n    set -e\n    echo leaked=hunter2-elsewhere\n") }, "Print a string that is another environment's secret");
      const sync = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: false, data: true, rebase: false });
      await worker.idle();
      const lines = (await getActivityLog(db(), sync.id)).map((l) => l.text);
      expect(lines).toContain("leaked=******");
      expect(lines.join("\n")).not.toContain("hunter2");
    } finally {
      await worker.stop();
    }
  });

  it("imports .env text as one activity and one redeploy; a bad line, a wrong role or a non-JSON value for a JSON variable writes nothing", async () => {
    const { admin, id, access } = await starterProject(db(), "vars");
    await withWorker(db(), async (worker) => {
      await worker.idle();
      const secret = (await createVariable(db(), access, "staging", input("env:TOKEN", "old-secret-value", { isSensitive: true }), admin.id)).variable;
      await createVariable(db(), access, "staging", input("env:SAME", "1"), admin.id);
      await createVariable(db(), access, "staging", input("settings", "{}", { isJson: true }), admin.id);
      await worker.idle();
      const count = async () => (await db().select().from(variables).where(eq(variables.projectId, id))).length;
      const activitiesNow = async () => (await db().query.activities.findMany({ where: (a, { eq: is }) => is(a.projectId, id) })).length;
      const [before, activitiesBefore] = [await count(), await activitiesNow()];

      // Refused, nothing written: a line that is not KEY=value, a non-JSON value for a JSON variable, a viewer.
      await expect(importVariables(db(), access, "staging", "GOOD=1\nnot a line", { shellPrefix: true, sensitive: false })).rejects.toThrow("Nothing was imported. Line 2 is not KEY=value.");
      await expect(importVariables(db(), access, "staging", "env:NEW=1\nsettings={not json", { shellPrefix: false, sensitive: false })).rejects.toThrow("settings is a JSON variable");
      await expect(importVariables(db(), access, "staging", "# only a comment", { shellPrefix: true, sensitive: false })).rejects.toThrow("Paste at least one KEY=value line.");
      const viewer = await makeUser(db());
      await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
      await expect(importVariables(db(), (await getProjectAccess(db(), viewer, id))!, "staging", "X=1", { shellPrefix: true, sensitive: false })).rejects.toMatchObject({ code: "forbidden" });
      expect([await count(), await activitiesNow()]).toEqual([before, activitiesBefore]);

      const deploysBefore = (await db().select().from(deployments)).length;
      const r = await importVariables(db(), access, "staging", "export NEW_ONE=a\nNEW_TWO='b c'\nSAME=1\nTOKEN=new-secret-value\n", { shellPrefix: true, sensitive: false }, admin.id);
      expect(r).toMatchObject({ added: ["env:NEW_ONE", "env:NEW_TWO"], changed: ["env:TOKEN"], unchanged: ["env:SAME"], redeploys: true });
      const activity = (await db().query.activities.findFirst({ where: (a, { eq: is }) => is(a.id, r.activityId!) }))!;
      expect(activity).toMatchObject({ type: "environment.variable.update", description: "Change 3 variables (2 added, 1 changed) on staging", parameters: { names: ["env:NEW_ONE", "env:NEW_TWO", "env:TOKEN"] } });
      await worker.idle();
      expect((await db().select().from(deployments)).length).toBe(deploysBefore + 1);
      // The sensitive one stays sensitive, sealed, with the new value.
      const [token] = await db().select().from(variables).where(eq(variables.id, secret.id));
      expect(token).toMatchObject({ isSensitive: true });
      expect(token!.value).not.toContain("new-secret");
      const staging = (await db().query.environments.findFirst({ where: (e, { and, eq: is }) => and(is(e.projectId, id), is(e.name, "staging")) }))!;
      expect((await resolveEnvironmentVariables(db(), id, staging.id)).runtime.shell).toMatchObject({ TOKEN: "new-secret-value", NEW_TWO: "b c", NEW_ONE: "a" });
      // The same text again changes nothing and records nothing.
      const again = await importVariables(db(), access, "staging", "NEW_ONE=a\nNEW_TWO='b c'", { shellPrefix: true, sensitive: false }, admin.id);
      expect(again).toMatchObject({ added: [], changed: [], unchanged: ["env:NEW_ONE", "env:NEW_TWO"], activityId: null, redeploys: false });
      // Project level, sensitive on request.
      const p = await importVariables(db(), access, null, "API_KEY=abcdef123", { shellPrefix: false, sensitive: true }, admin.id);
      expect(p.redeploys).toBe(false);
      const [apiKey] = await db().select().from(variables).where(eq(variables.name, "API_KEY"));
      expect(apiKey).toMatchObject({ isSensitive: true, environmentId: null });
      expect(apiKey!.value).not.toContain("abcdef123");
    });
  });
});
