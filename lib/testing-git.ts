// Test-only: commit files on a branch through a real clone and push, as a developer would.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { git } from "@/lib/git/git";
import { buildRepository, placeRepository, repositoryPath } from "@/lib/git/repository";

/** Files to write: content, or `{ symlink: target }` for a symbolic link (committed even where .gitignore would skip it). */
export async function commitOn(projectId: string, branch: string, files: Record<string, string | { symlink: string }>, message: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-clone-"));
  try {
    await git(["clone", "--quiet", "--branch", branch, repositoryPath(projectId), work]);
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      if (typeof content === "string") fs.writeFileSync(path.join(work, file), content);
      else {
        fs.rmSync(path.join(work, file), { force: true });
        fs.symlinkSync(content.symlink, path.join(work, file));
      }
    }
    await git(["add", "--all", "--force"], { cwd: work });
    await git(["commit", "--quiet", "-m", message], { cwd: work });
    // Straight into the bare repository, past its pre-receive hook (which admits only pushes through the git remote).
    await git(["push", "--quiet", "--receive-pack=git -c core.hooksPath=/dev/null receive-pack", "origin", branch], { cwd: work });
    return (await git(["rev-parse", "HEAD"], { cwd: work })).trim();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A project's repository as project creation makes it (buildRepository, then placeRepository), without the project rows. */
export async function createRepository(projectId: string, title: string, branches: readonly string[]): Promise<{ commit: string }> {
  const built = await buildRepository(title, branches);
  try {
    placeRepository(built, projectId);
  } finally {
    built.discard();
  }
  return { commit: built.commit };
}
