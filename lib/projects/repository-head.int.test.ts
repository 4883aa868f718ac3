import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { git } from "@/lib/git/git";
import { repositoryPath } from "@/lib/git/repository";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { createProject } from "./create-project";

const input = (id: string, plan: "starter" | "pro") => ({ id, title: `Store ${id}`, plan, region: "eu-5" as const });

describeEachDatabase("a new project's repository", ({ db }) => {
  it("names where work starts as HEAD: integration on Pro (master never deploys), master on Starter", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const pro = uniqueProjectId();
    const starter = uniqueProjectId();
    await createProject(db(), admin, input(pro, "pro"));
    await createProject(db(), admin, input(starter, "starter"));
    const head = async (id: string) => (await git(["symbolic-ref", "HEAD"], { gitDir: repositoryPath(id) })).trim();
    expect(await head(pro)).toBe("refs/heads/integration");
    expect(await head(starter)).toBe("refs/heads/master");
    // Every branch of the layout is there, master too (it holds the code), at the first commit.
    const branches = (await git(["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads"], { gitDir: repositoryPath(pro) })).trim().split("\n");
    expect(branches.map((b) => b.split(" ")[0]).sort()).toEqual(["integration", "master", "production", "staging"]);
    expect(new Set(branches.map((b) => b.split(" ")[1])).size).toBe(1);
  }, 60_000);
});
