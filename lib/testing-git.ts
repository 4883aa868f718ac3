// Test-only: commit files on a branch through a real clone and push, as a developer would.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { git } from "@/lib/git/git";
import { repositoryPath } from "@/lib/git/repository";

export async function commitOn(projectId: string, branch: string, files: Record<string, string>, message: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-clone-"));
  try {
    await git(["clone", "--quiet", "--branch", branch, repositoryPath(projectId), work]);
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      fs.writeFileSync(path.join(work, file), content);
    }
    await git(["add", "--all"], { cwd: work });
    await git(["commit", "--quiet", "-m", message], { cwd: work });
    await git(["push", "--quiet", "origin", branch], { cwd: work });
    return (await git(["rev-parse", "HEAD"], { cwd: work })).trim();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
