import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitOn, createRepository } from "@/lib/testing-git";
import { git } from "./git";
import { projectTemplate } from "./template";
import {
  branchHead,
  buildRepository,
  placeRepository,
  repositoryPath,
  checkoutInto,
  commitsBetween,
  createBranch,
  fsck,
  isValidBranchName,
  mergeBranches,
  rebaseBranch,
  readFileAt,
  sweepUnplacedRepositories,
} from "./repository";

const dataDir = process.env.DATA_DIR!; // a temporary directory per test file (db/testing/setup-data-dir.ts)

describe("project repository", () => {
  it("starts with the template on master and the plan's branches at the same commit", async () => {
    const { commit } = await createRepository("shop", "Shop", ["master", "staging"]);
    expect(await branchHead("shop", "master")).toBe(commit);
    expect(await branchHead("shop", "staging")).toBe(commit);
    expect(await readFileAt("shop", commit, ".magento.app.yaml")).toContain("name: mymagento");
    expect(await readFileAt("shop", commit, ".magento/services.yaml")).toContain("mysql:10.6");
    expect(await readFileAt("shop", commit, ".magento/routes.yaml")).toContain("mymagento:http");
    await expect(createRepository("shop", "Shop", [])).rejects.toThrow("already exists");
    await fsck("shop");
  });

  it("holds exactly the template's files, byte for byte (a title in any script, with quotes and a newline), in one commit by the dashboard", async () => {
    const title = 'Ünïcödé “shop” ✓ 店\nM 100644 :1 injected';
    const { commit } = await createRepository("unicode", title, ["master", "staging", "integration"]);
    const template = projectTemplate(title);
    const listed = (await git(["ls-tree", "-r", "--name-only", commit], { gitDir: repositoryPath("unicode") })).trim().split("\n");
    expect(listed.sort()).toEqual(Object.keys(template).sort());
    for (const [file, content] of Object.entries(template)) expect(await readFileAt("unicode", commit, file)).toBe(content);
    expect(await branchHead("unicode", "integration")).toBe(commit);
    const log = await git(["log", "--format=%an <%ae>|%cn|%s|%P", "master"], { gitDir: repositoryPath("unicode") });
    expect(log).toBe("Project Web Interface <noreply@localhost>|Project Web Interface|Initial commit from the project template|\n");
    await fsck("unicode");
  });

  it("builds beside the repositories and leaves nothing when not placed; never replaces a repository in place", async () => {
    const root = path.dirname(repositoryPath("x"));
    const built = await buildRepository("Built", ["master"]);
    expect(path.dirname(built.path)).toBe(root);
    expect(fs.existsSync(repositoryPath("placed"))).toBe(false); // nothing at a project's path until placed
    placeRepository(built, "placed");
    built.discard(); // placed: nothing left to discard
    expect(await branchHead("placed", "master")).toBe(built.commit);
    const second = await buildRepository("Second", ["master"]);
    expect(() => placeRepository(second, "placed")).toThrow("already exists");
    expect(await branchHead("placed", "master")).toBe(built.commit);
    second.discard();
    expect(fs.readdirSync(root).filter((f) => f.endsWith(".tmp.git"))).toEqual([]);
  });

  it("sweeps a built repository a dead process never placed once it is an hour old, and nothing else", async () => {
    const root = path.dirname(repositoryPath("x"));
    await createRepository("kept", "Kept", ["master"]);
    const abandoned = await buildRepository("Abandoned", ["master"]); // its process died before placing it
    const building = await buildRepository("Building", ["master"]); // another server is placing it now
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    fs.utimesSync(abandoned.path, twoHoursAgo, twoHoursAgo);
    // Not swept: a name not exactly of that shape, a file and a link of that shape (the link's target outside stays whole).
    const lookalike = path.join(root, ".new-not-a-uuid.tmp.git");
    fs.mkdirSync(lookalike);
    const file = path.join(root, `.new-${crypto.randomUUID()}.tmp.git`);
    fs.writeFileSync(file, "not a repository");
    const outside = fs.mkdtempSync(path.join(dataDir, "outside-"));
    fs.writeFileSync(path.join(outside, "keep.txt"), "keep");
    const link = path.join(root, `.new-${crypto.randomUUID()}.tmp.git`);
    fs.symlinkSync(outside, link);
    for (const p of [lookalike, file, outside]) fs.utimesSync(p, twoHoursAgo, twoHoursAgo);
    fs.lutimesSync(link, twoHoursAgo, twoHoursAgo);

    expect(sweepUnplacedRepositories(60 * 60 * 1000)).toBe(1);
    expect(fs.existsSync(abandoned.path)).toBe(false);
    expect(fs.existsSync(building.path)).toBe(true);
    for (const p of [lookalike, file, link]) expect(fs.lstatSync(p, { throwIfNoEntry: false }), p).toBeDefined();
    expect(fs.readFileSync(path.join(outside, "keep.txt"), "utf8")).toBe("keep");
    await fsck("kept");
    placeRepository(building, "built-later");
    expect(await branchHead("built-later", "master")).toBe(building.commit);
    for (const p of [lookalike, file, link, outside]) fs.rmSync(p, { recursive: true, force: true });
  });

  it("validates branch names with git", async () => {
    for (const ok of ["feature-1", "fix-cart"]) expect(await isValidBranchName(ok)).toBe(true);
    for (const bad of ["a..b", "with space", "end.lock", "-x", "a~b", "a:b"]) expect(await isValidBranchName(bad)).toBe(false);
  });

  it("fast-forwards, merges with a commit, and refuses a conflict leaving both branches as they were", async () => {
    const { commit } = await createRepository("merge", "Merge", ["master", "staging"]);
    await createBranch("merge", "feature", commit);
    const f1 = await commitOn("merge", "feature", { "a.txt": "one\n" }, "Add a");
    expect(await commitsBetween("merge", "staging", "feature")).toMatchObject([{ sha: f1, subject: "Add a" }]);
    expect(await mergeBranches("merge", "staging", "feature", "Merge")).toEqual({ kind: "fast-forward", commit: f1 });
    expect(await mergeBranches("merge", "staging", "feature", "Merge")).toEqual({ kind: "up-to-date", commit: f1 });

    await commitOn("merge", "staging", { "b.txt": "staging\n" }, "Add b on staging");
    await commitOn("merge", "feature", { "c.txt": "feature\n" }, "Add c on feature");
    const merged = await mergeBranches("merge", "staging", "feature", "Merge feature into staging");
    expect(merged.kind).toBe("merge-commit");
    const dir = path.join(dataDir, "checkout");
    await checkoutInto("merge", (merged as { commit: string }).commit, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(expect.arrayContaining(["a.txt", "b.txt", "c.txt", ".magento.app.yaml"]));

    await commitOn("merge", "staging", { "a.txt": "staging's a\n" }, "Change a on staging");
    await commitOn("merge", "feature", { "a.txt": "feature's a\n" }, "Change a on feature");
    const before = [await branchHead("merge", "staging"), await branchHead("merge", "feature")];
    expect(await mergeBranches("merge", "staging", "feature", "Merge")).toEqual({ kind: "conflict", paths: ["a.txt"] });
    expect([await branchHead("merge", "staging"), await branchHead("merge", "feature")]).toEqual(before);
    await fsck("merge");
  });
});

describe("rebase", () => {
  it("replays a branch's own commits on its parent, and aborts cleanly on a conflict", async () => {
    const { commit } = await createRepository("rebase", "Rebase", ["master", "staging"]);
    await createBranch("rebase", "child", commit);
    await commitOn("rebase", "child", { "child.txt": "child\n" }, "Child work");
    const parentHead = await commitOn("rebase", "staging", { "parent.txt": "parent\n" }, "Parent work");
    const result = await rebaseBranch("rebase", "child", parentHead);
    expect(result.kind).toBe("rebased");
    const head = await branchHead("rebase", "child");
    expect(await commitsBetween("rebase", "staging", "child")).toMatchObject([{ subject: "Child work" }]);
    expect((await commitsBetween("rebase", head!, "staging")).length).toBe(0);

    await commitOn("rebase", "child", { "same.txt": "child\n" }, "Child same");
    const p2 = await commitOn("rebase", "staging", { "same.txt": "parent\n" }, "Parent same");
    const before = await branchHead("rebase", "child");
    expect(await rebaseBranch("rebase", "child", p2)).toEqual({ kind: "conflict", paths: ["same.txt"] });
    expect(await branchHead("rebase", "child")).toBe(before);
    await fsck("rebase");
  });
});
