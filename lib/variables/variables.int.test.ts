import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { variables } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { getProjectAccess } from "@/lib/auth/project-access";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { createProject } from "@/lib/projects/create-project";
import { addProjectMember } from "@/lib/projects/members";
import { buildsDir, environmentDeployDir } from "@/lib/runtime/deploy";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { createVariable, deleteVariable, listVariables, resolveEnvironmentVariables, updateVariable, variableInputSchema } from "./variables";

const input = (name: string, value: string, more: Record<string, unknown> = {}) => variableInputSchema.parse({ name, value, ...more });

describeEachDatabase("variables", ({ db }) => {
  it("hooks see exactly the effective variables for build and for runtime; build-visible changes rebuild, runtime-only ones reuse the build; sensitive values never show", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("vars");
    await createProject(db(), admin, { id, title: "Vars", plan: "starter", region: "us-3" });
    const access = (await getProjectAccess(db(), admin, id))!;
    const worker = startActivityWorker(db());
    try {
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
      const secret = await createVariable(db(), access, "staging", input("env:SECRET", "hunter2-very-secret", { isSensitive: true }));

      // Never in clear: not in the table, not in a list, not in the answer of a save.
      expect(secret.value).toBeNull();
      const [stored] = await db().select().from(variables).where(eq(variables.id, secret.id));
      expect(stored!.value).not.toContain("hunter2");
      expect((await listVariables(db(), access, "staging")).find((v) => v.name === "env:SECRET")).toMatchObject({ value: null, isSensitive: true });
      await expect(updateVariable(db(), access, secret.id, input("env:SECRET", "x", { isSensitive: false }))).rejects.toThrow("stays sensitive");

      // A data Sync deploys the branch head (with the printing hooks); later Redeploys deploy that commit again.
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
      await updateVariable(db(), access, foo.id, input("env:FOO", "changed"));
      const third = await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      await worker.idle();
      expect((await getActivityLog(db(), third.id)).some((l) => l.text === "build FOO=changed SECRET=****** MCV={\"settings\":{\"a\":[1,2]}}")).toBe(true);
      expect(builds()).toBe(before + 1);
    } finally {
      await worker.stop();
    }
  });

  it("refuses bad input and the wrong roles with a sentence, writing nothing", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("vars");
    await createProject(db(), admin, { id, title: "Vars", plan: "starter", region: "us-3" });
    const access = (await getProjectAccess(db(), admin, id))!;
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
    const sealed = await createVariable(db(), access, null, input("S", "secret-value", { isSensitive: true }));
    await db().update(variables).set({ value: "v1.otherkey.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA" }).where(eq(variables.id, sealed.id));
    const staging = (await db().query.environments.findFirst({ where: (e, { and, eq: is }) => and(is(e.projectId, id), is(e.name, "staging")) }))!;
    await expect(resolveEnvironmentVariables(db(), id, staging.id)).rejects.toThrow("saved with another encryption key");
  });
});
