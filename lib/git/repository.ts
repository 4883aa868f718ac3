import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { env } from "@/lib/env";
import { dataPaths } from "@/lib/paths";
import { git, gitOrNull, GitError } from "./git";
import { installPushHook } from "./push-gate";
import { projectTemplate } from "./template";

/** Where a project's bare repository lives. The id is a validated slug. */
export function repositoryPath(projectId: string): string {
  return dataPaths.repository(projectId);
}

/** A project's repository built beside where it goes, not yet in place (see buildRepository). */
export interface BuiltRepository {
  path: string;
  commit: string;
  /** Removes it if it was not moved into place (a failure, or the project id was taken). */
  discard(): void;
}

/**
 * Builds a project's bare repository with the template (with the services PROJECT_TEMPLATE_SERVICES
 * names) as the first commit on `master`, plus the given branches at that commit, in a new
 * directory beside the repositories: three git processes (init, config, one fast-import for
 * every file, the commit and the branches).
 * HEAD names `head` (one of the branches: where work starts, what `git clone` checks out).
 * placeRepository moves it into place; until then nothing is at the project's path.
 */
export async function buildRepository(title: string, branches: readonly string[], head = "master"): Promise<BuiltRepository> {
  if (head !== "master" && !branches.includes(head)) throw new Error(`HEAD cannot name ${head}: it is not one of the branches made`);
  const root = dataPaths.repositories();
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const bare = path.join(root, `.new-${crypto.randomUUID()}.tmp.git`);
  const discard = () => fs.rmSync(bare, { recursive: true, force: true });
  try {
    await git(["init", "--quiet", "--bare", `--initial-branch=${head}`, bare]);
    await git(["config", "http.receivepack", "true"], { gitDir: bare });
    const out = await git(["fast-import", "--quiet", "--done"], { gitDir: bare, input: templateImport(projectTemplate(title, env().PROJECT_TEMPLATE_SERVICES), branches, new Date()) });
    const commit = out.trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error(`git fast-import answered “${commit.slice(0, 80)}” instead of the first commit's id`);
    installPushHook(bare);
    return { path: bare, commit, discard };
  } catch (err) {
    discard();
    throw err;
  }
}

/** Moves a built repository to the project's path; fails if one is there. */
export function placeRepository(built: BuiltRepository, projectId: string): void {
  const target = repositoryPath(projectId);
  if (fs.existsSync(target)) throw new Error(`A repository already exists at ${target}`);
  fs.renameSync(built.path, target);
}

/**
 * git fast-import's input for the template: each file a blob, one commit on master with all of
 * them, the other branches at that commit, then the commit's id asked back (get-mark). Paths and
 * branch names are ours; file contents (the project title is in some) go by byte length.
 */
function templateImport(files: Record<string, string>, branches: readonly string[], when: Date): string {
  const entries = Object.entries(files).sort(([a], [b]) => a.localeCompare(b));
  const parts: string[] = [];
  entries.forEach(([file, content], i) => {
    if (/[\n"]/.test(file) || file.startsWith("/")) throw new Error(`Template path ${file} cannot be imported as it is`);
    parts.push(`blob\nmark :${i + 1}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  });
  const commitMark = entries.length + 1;
  const message = "Initial commit from the project template\n";
  const who = `Project Web Interface <noreply@localhost> ${Math.floor(when.getTime() / 1000)} +0000`;
  parts.push(`commit refs/heads/master\nmark :${commitMark}\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(message)}\n${message}`);
  entries.forEach(([file], i) => parts.push(`M 100644 :${i + 1} ${file}\n`));
  parts.push("\n");
  for (const branch of branches) if (branch !== "master") parts.push(`reset refs/heads/${branch}\nfrom :${commitMark}\n\n`);
  parts.push(`get-mark :${commitMark}\ndone\n`);
  return parts.join("");
}

/** How a repository being built is named beside the others (buildRepository). */
const UNPLACED = /^\.new-[0-9a-f-]{36}\.tmp\.git$/;

/**
 * At start: removes repositories that were built but never placed because the process building
 * them died (buildRepository's own failures discard theirs). Only those older than `olderThanMs`
 * go, so one another server on the same data directory is building right now is left alone.
 */
export function sweepUnplacedRepositories(olderThanMs: number): number {
  const root = dataPaths.repositories();
  const now = Date.now();
  let count = 0;
  for (const entry of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    if (!UNPLACED.test(entry)) continue;
    const full = path.join(root, entry);
    const stat = fs.lstatSync(full, { throwIfNoEntry: false }); // a link is not followed, nor removed
    if (!stat?.isDirectory() || now - stat.mtimeMs < olderThanMs) continue;
    fs.rmSync(full, { recursive: true, force: true });
    count++;
  }
  return count;
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
