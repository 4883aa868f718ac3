import "server-only";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { dataPaths } from "@/lib/paths";
import { git, gitOrNull, GitError } from "./git";
import { installPushHook } from "./push-gate";
import { projectTemplate } from "./template";

/** Where a project's bare repository lives. The id is a validated slug. */
export function repositoryPath(projectId: string): string {
  return dataPaths.repository(projectId);
}

/**
 * Creates the project's bare repository with the template as the first commit on
 * `master`, plus the given branches at that commit. Built in a temporary directory and
 * renamed into place, so a failure leaves nothing behind.
 */
export async function createRepository(projectId: string, title: string, branches: readonly string[]): Promise<{ commit: string }> {
  const target = repositoryPath(projectId);
  if (fs.existsSync(target)) throw new Error(`A repository already exists at ${target}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-repo-"));
  try {
    const work = path.join(tmp, "work");
    for (const [file, content] of Object.entries(projectTemplate(title))) {
      fs.mkdirSync(path.join(work, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(work, file), content);
    }
    const bare = path.join(path.dirname(target), `.${projectId}.${process.pid}.tmp.git`);
    await git(["init", "--quiet", "--bare", "--initial-branch=master", bare]);
    await git(["config", "http.receivepack", "true"], { gitDir: bare });
    await git(["init", "--quiet", "--initial-branch=master", work]);
    await git(["add", "--all"], { cwd: work });
    await git(["commit", "--quiet", "-m", "Initial commit from the project template"], { cwd: work });
    await git(["push", "--quiet", bare, "master:refs/heads/master"], { cwd: work });
    const commit = (await git(["rev-parse", "HEAD"], { cwd: work })).trim();
    for (const branch of branches) {
      if (branch !== "master") await git(["update-ref", `refs/heads/${branch}`, commit, ""], { gitDir: bare });
    }
    installPushHook(bare);
    fs.renameSync(bare, target);
    return { commit };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** At start: (re)writes the pre-receive hook of every project repository, so one made by an older version gets it too. */
export function installPushHooks(): number {
  const root = dataPaths.repositories();
  let count = 0;
  for (const entry of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    if (!entry.endsWith(".git") || entry.startsWith(".")) continue;
    installPushHook(path.join(root, entry));
    count++;
  }
  return count;
}

export function deleteRepository(projectId: string): void {
  fs.rmSync(repositoryPath(projectId), { recursive: true, force: true });
}

/** Whether `name` is a valid branch name for git (`git check-ref-format --branch`). */
export async function isValidBranchName(name: string): Promise<boolean> {
  return (await gitOrNull(["check-ref-format", "--branch", name])) !== null;
}

export async function branchHead(projectId: string, branch: string): Promise<string | null> {
  const out = await gitOrNull(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], { gitDir: repositoryPath(projectId) });
  return out ? out.trim() : null;
}

/** Creates refs/heads/<name> at `commit`; fails if the branch exists. */
export async function createBranch(projectId: string, name: string, commit: string): Promise<void> {
  await git(["update-ref", `refs/heads/${name}`, commit, ""], { gitDir: repositoryPath(projectId) });
}

export async function deleteBranch(projectId: string, name: string, expected?: string): Promise<void> {
  await git(["update-ref", "-d", `refs/heads/${name}`, ...(expected ? [expected] : [])], { gitDir: repositoryPath(projectId) });
}

export interface CommitInfo {
  sha: string;
  author: string;
  at: Date;
  subject: string;
}

/** Commits reachable from `head` but not from `base` (newest first, at most `limit`). */
export async function commitsBetween(projectId: string, base: string, head: string, limit = 50): Promise<CommitInfo[]> {
  const out = await git(["log", `--max-count=${limit}`, "--format=%H%x1f%an%x1f%at%x1f%s", `${base}..${head}`, "--"], {
    gitDir: repositoryPath(projectId),
  });
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [sha, author, at, subject] = line.split("\x1f") as [string, string, string, string];
      return { sha, author, at: new Date(Number(at) * 1000), subject };
    });
}

export async function countCommitsBetween(projectId: string, base: string, head: string): Promise<number> {
  return Number((await git(["rev-list", "--count", `${base}..${head}`, "--"], { gitDir: repositoryPath(projectId) })).trim());
}

export async function isAncestor(projectId: string, ancestor: string, descendant: string): Promise<boolean> {
  return (await gitOrNull(["merge-base", "--is-ancestor", ancestor, descendant], { gitDir: repositoryPath(projectId) })) !== null;
}

export async function treeOf(projectId: string, commit: string): Promise<string> {
  return (await git(["rev-parse", `${commit}^{tree}`], { gitDir: repositoryPath(projectId) })).trim();
}

export type MergeResult =
  | { kind: "up-to-date"; commit: string }
  | { kind: "fast-forward"; commit: string }
  | { kind: "merge-commit"; commit: string }
  | { kind: "conflict"; paths: string[] };

/**
 * Merges `source` into `target` inside the bare repository, without a working tree:
 * fast-forward when possible, else `git merge-tree` and a merge commit. The target ref
 * moves only with compare-and-swap, so a conflict or a race leaves both branches as
 * they were.
 */
export async function mergeBranches(projectId: string, target: string, source: string, message: string): Promise<MergeResult> {
  const gitDir = repositoryPath(projectId);
  const targetHead = await branchHead(projectId, target);
  const sourceHead = await branchHead(projectId, source);
  if (!targetHead || !sourceHead) throw new Error(`Branch ${targetHead ? source : target} does not exist`);
  if (await isAncestor(projectId, sourceHead, targetHead)) return { kind: "up-to-date", commit: targetHead };
  if (await isAncestor(projectId, targetHead, sourceHead)) {
    await git(["update-ref", `refs/heads/${target}`, sourceHead, targetHead], { gitDir });
    return { kind: "fast-forward", commit: sourceHead };
  }
  let tree: string;
  try {
    tree = (await git(["merge-tree", "--write-tree", "--name-only", "--no-messages", targetHead, sourceHead], { gitDir })).split("\n")[0]!.trim();
  } catch (err) {
    if (err instanceof GitError && err.exitCode === 1) {
      const lines = err.stdout.split("\n").slice(1).filter(Boolean);
      return { kind: "conflict", paths: [...new Set(lines)] };
    }
    throw err;
  }
  const commit = (await git(["commit-tree", tree, "-p", targetHead, "-p", sourceHead, "-m", message], { gitDir })).trim();
  await git(["update-ref", `refs/heads/${target}`, commit, targetHead], { gitDir });
  return { kind: "merge-commit", commit };
}

/** Writes the tree of `commit` into `dir` (a fresh directory), with a throwaway index. */
export async function checkoutInto(projectId: string, commit: string, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const index = `${dir}.index`;
  try {
    await git(["--work-tree", dir, "read-tree", "--reset", "-u", commit], {
      gitDir: repositoryPath(projectId),
      env: { GIT_INDEX_FILE: index },
    });
  } finally {
    fs.rmSync(index, { force: true });
  }
}

/** The content of one file at a commit, or null when it does not exist there. */
export async function readFileAt(projectId: string, commit: string, file: string): Promise<string | null> {
  return gitOrNull(["show", `${commit}:${file}`], { gitDir: repositoryPath(projectId) });
}

export async function fsck(projectId: string): Promise<void> {
  await git(["fsck", "--strict", "--no-progress"], { gitDir: repositoryPath(projectId) });
}

export type RebaseResult = { kind: "rebased"; commit: string } | { kind: "conflict"; paths: string[] };

/**
 * Replays `branch`'s own commits on top of `onto` in a throwaway worktree, then moves the
 * branch with compare-and-swap. A conflict aborts the rebase and leaves the branch as it was.
 */
export async function rebaseBranch(projectId: string, branch: string, onto: string): Promise<RebaseResult> {
  const gitDir = repositoryPath(projectId);
  const head = await branchHead(projectId, branch);
  if (!head) throw new Error(`Branch ${branch} does not exist`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-rebase-"));
  fs.rmSync(work, { recursive: true, force: true });
  await git(["worktree", "add", "--quiet", "--detach", work, head], { gitDir });
  try {
    try {
      await git(["rebase", "--quiet", onto], { cwd: work });
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      const conflicted = await gitOrNull(["diff", "--name-only", "--diff-filter=U"], { cwd: work });
      await gitOrNull(["rebase", "--abort"], { cwd: work });
      return { kind: "conflict", paths: (conflicted ?? "").split("\n").filter(Boolean) };
    }
    const commit = (await git(["rev-parse", "HEAD"], { cwd: work })).trim();
    await git(["update-ref", `refs/heads/${branch}`, commit, head], { gitDir });
    return { kind: "rebased", commit };
  } finally {
    await gitOrNull(["worktree", "remove", "--force", work], { gitDir });
    fs.rmSync(work, { recursive: true, force: true });
    await gitOrNull(["worktree", "prune"], { gitDir });
  }
}
