import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import { activities } from "@/db/schema";
import { startActivityWorker, type Worker } from "@/lib/activity-runners";
import { getEnvironmentByName, listActivities } from "@/lib/environments/queries";
import { branchHead } from "@/lib/git/repository";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { createApiToken } from "@/lib/tokens/api-tokens";
import { gitRemoteUrl, startGitServer, type GitServer } from "./testing-git-server";

// `git push` to an active environment waits for the deploy it started, streams its lines as
// `remote:` lines and exits non-zero when it fails (the commits stay pushed); `-o deploy.wait=0`
// returns at once; a pusher who goes away does not stop the deploy.
const run = promisify(execFile);
const gitEnv = { PATH: process.env.PATH!, HOME: os.tmpdir(), GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.com" } as unknown as NodeJS.ProcessEnv;
const git = (args: string[], cwd?: string) => run("git", args, { cwd, env: gitEnv, maxBuffer: 16 * 1024 * 1024 });
const outcome = (p: Promise<{ stderr: string }>) => p.then((r) => ({ code: 0, stderr: r.stderr }), (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: String(e.stderr) }));

let db: Db;
let server: GitServer;
let base: string;
let projectId: string;
let worker: Worker;
let remote: string;
let work: string;

beforeAll(async () => {
  await (await getDatabase()).migrate();
  db = await getDb();
  server = await startGitServer();
  base = server.base;
  const owner = await makeUser(db, { isAdmin: true });
  projectId = uniqueProjectId("wait");
  await createProject(db, owner, { id: projectId, title: "Wait", plan: "starter", region: "us-3" });
  remote = gitRemoteUrl(base, projectId, { email: owner.email, token: (await createApiToken(db, owner, "test")).token });
  worker = startActivityWorker(db, { concurrency: 2 });
  await worker.idle(); // the first deploys
  work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-wait-"));
  await git(["clone", "--quiet", "--branch", "staging", remote, work]);
}, 180_000);
afterAll(async () => {
  await worker?.stop();
  server.close();
  fs.rmSync(work, { recursive: true, force: true });
  await closeDatabase();
});

async function commit(file: string, content: string, message: string) {
  fs.writeFileSync(path.join(work, file), content);
  await git(["add", "."], work);
  await git(["commit", "--quiet", "-m", message], work);
  return (await git(["rev-parse", "HEAD"], work)).stdout.trim();
}

describe("git push and its deploy", () => {
  it("waits for the deploy, streams its lines, and ends with what is served", async () => {
    const sha = await commit("greeting.txt", "hello", "A change");
    const pushed = await outcome(git(["push", "origin", "staging"], work));
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toContain("remote: staging: deploying");
    expect(pushed.stderr).toContain(`remote: Console: ${base}/projects/${projectId}/environments/staging`);
    expect(pushed.stderr).toContain("remote: Waiting for the deploy");
    expect(pushed.stderr).toContain("remote: Activity completed successfully.");
    expect(pushed.stderr).toContain(`remote: staging: deployed; ${sha.slice(0, 7)} is served.`);
    expect((await getEnvironmentByName(db, projectId, "staging"))?.deployedCommit).toBe(sha);
  }, 120_000);

  it("exits non-zero when the build fails, with the reason and what is still served, and keeps the commits pushed", async () => {
    const served = (await getEnvironmentByName(db, projectId, "staging"))!.deployedCommit!;
    const appYaml = fs.readFileSync(path.join(work, ".magento.app.yaml"), "utf8");
    const broken = await commit(".magento.app.yaml", appYaml.replace('set -e\n    echo "Building', 'set -e\n    echo "broken build \x1b[31mred\x1b[0m" >&2; exit 3\n    echo "Building'), "Break the build");
    const pushed = await outcome(git(["push", "origin", "staging"], work));
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toContain("remote: broken build red"); // the hook's own line, without its terminal escapes
    expect(pushed.stderr).not.toContain("\x1b[31m");
    expect(pushed.stderr).toContain("The build hook failed (exit code 3).");
    expect(pushed.stderr).toContain(`remote: Still served: ${served.slice(0, 7)}, the last deployment that succeeded.`);
    expect(pushed.stderr).toContain(`remote: staging: the deploy failed; ${served.slice(0, 7)} is served. The commits are pushed`);
    expect(pushed.stderr).toMatch(/! \[remote rejected\] +staging -> staging \(deploy failed; the commits are pushed \(see above\)\)/);
    expect(await branchHead(projectId, "staging")).toBe(broken);
    expect((await getEnvironmentByName(db, projectId, "staging"))?.deployedCommit).toBe(served);
    // Fixed: the next push (from the same clone, whose origin/staging git left behind) deploys.
    fs.writeFileSync(path.join(work, ".magento.app.yaml"), appYaml);
    await git(["commit", "--quiet", "-am", "Fix the build"], work);
    const fixed = await outcome(git(["push", "origin", "staging"], work));
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toContain("remote: staging: deployed;");
  }, 180_000);

  it("applies an atomic push of several branches all together", async () => {
    const sha = await commit("atomic.txt", "a", "Atomic");
    const pushed = await outcome(git(["push", "--atomic", "origin", "HEAD:refs/heads/atomic-a", "HEAD:refs/heads/atomic-b"], work));
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(await branchHead(projectId, "atomic-a")).toBe(sha);
    expect(await branchHead(projectId, "atomic-b")).toBe(sha);
    await git(["reset", "--quiet", "--hard", "HEAD~1"], work);
  }, 60_000);

  it("returns at once with -o deploy.wait=0, and a pusher who goes away does not stop the deploy", async () => {
    await worker.stop(); // nothing deploys until the worker is back: a waiting push would hang
    try {
      await commit("greeting.txt", "no wait", "Do not wait");
      const pushed = await outcome(git(["push", "-o", "deploy.wait=0", "origin", "staging"], work));
      expect(pushed.code).toBe(0);
      expect(pushed.stderr).toContain("remote: Not waiting for the deploy (-o deploy.wait=0)");

      // A push that waits, stopped once it says it is waiting: git goes, the deploy stays queued and then runs.
      const sha = await commit("greeting.txt", "gone", "The pusher leaves");
      const child = spawn("git", ["push", "origin", "staging"], { cwd: work, env: gitEnv, detached: true });
      await new Promise<void>((resolve) => {
        let text = "";
        child.stderr.on("data", (d: Buffer) => {
          text += d.toString();
          if (text.includes("Waiting for the deploy")) resolve();
        });
      });
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid!, "SIGKILL"); // git and its git-remote-http: the connection breaks
      await exited;
      expect(await branchHead(projectId, "staging")).toBe(sha);
      const push = (await listActivities(db, projectId)).find((a) => a.description.startsWith(`Push to staging (${sha.slice(0, 7)})`));
      expect(push).toBeTruthy();
    } finally {
      worker = startActivityWorker(db, { concurrency: 2 });
    }
    await worker.idle();
    const last = (await listActivities(db, projectId)).filter((a) => a.description.startsWith("Push to staging"));
    const [row] = await db.select().from(activities).where(eq(activities.id, last[0]!.id));
    expect(row).toMatchObject({ state: "complete", result: "success" });
  }, 180_000);
});
