import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const gitEnv = {
  ...process.env,
  GIT_TERMINAL_PROMPT: "0",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@example.com",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@example.com",
};
export const git = (args: string[], cwd?: string) => run("git", args, { cwd, env: gitEnv });

/**
 * Commits straight into the repository of the shared server (or of the server whose DATA_DIR
 * is `dataDir`), moving the branch head without a push activity: for tests that then Sync or
 * Activate to deploy it.
 */
export async function commitInRepository(projectId: string, branch: string, edit: (dir: string) => void, message: string, dataDir = process.env.E2E_DATA_DIR): Promise<string> {
  if (!dataDir) throw new Error("E2E_DATA_DIR is not set: run through the Playwright global setup.");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-commit-"));
  try {
    await git(["clone", "--quiet", "--branch", branch, path.join(dataDir, "repos", `${projectId}.git`), work]);
    edit(work);
    await git(["commit", "--quiet", "-am", message], work);
    // Past the repository's pre-receive hook, which admits only pushes through the git remote.
    await git(["push", "--quiet", "--receive-pack=git -c core.hooksPath=/dev/null receive-pack", "origin", branch], work);
    return (await git(["rev-parse", "HEAD"], work)).stdout.trim();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
