import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import { listActivities, listEnvironments } from "@/lib/environments/queries";
import { branchHead, fsck, repositoryPath } from "@/lib/git/repository";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { createApiToken } from "@/lib/tokens/api-tokens";
import { ZERO_SHA } from "./push-gate";
import { gitRemoteUrl, startGitServer, type GitServer } from "./testing-git-server";

// The project's git remote as git clients and hand-made requests meet it: the route handler
// behind a real HTTP server, on the file's own embedded database.
const run = promisify(execFile);
const gitEnv = { PATH: process.env.PATH!, HOME: os.tmpdir(), GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.com", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.com" } as unknown as NodeJS.ProcessEnv;
const git = (args: string[], cwd?: string) => run("git", args, { cwd, env: gitEnv, maxBuffer: 16 * 1024 * 1024 });
const failure = (p: Promise<unknown>) => p.then(() => "succeeded", (e: { stderr?: string }) => String(e.stderr));

let db: Db;
let server: GitServer;
let base: string;
let projectId: string;
let admin: { email: string; token: string };
let developer: { email: string; token: string };

beforeAll(async () => {
  await (await getDatabase()).migrate();
  db = await getDb();
  server = await startGitServer();
  base = server.base;

  const owner = await makeUser(db, { isAdmin: true });
  projectId = uniqueProjectId("remote");
  await createProject(db, owner, { id: projectId, title: "Remote", plan: "starter", region: "us-3" });
  admin = { email: owner.email, token: (await createApiToken(db, owner, "test")).token };
  // A contributor on Integration, a viewer of Staging, with no access to Production.
  const dev = await makeUser(db);
  await addProjectMember(db, owner, projectId, dev.email, { role: "viewer", production: "none", staging: "viewer", development: "contributor" });
  developer = { email: dev.email, token: (await createApiToken(db, dev, "test")).token };
});
afterAll(async () => {
  server.close();
  await closeDatabase();
});

const remote = (who: { email: string; token: string }) => gitRemoteUrl(base, projectId, who);
const auth = (who: { email: string; token: string }) => `Basic ${Buffer.from(`${who.email}:${who.token}`).toString("base64")}`;

function pkt(line: string | Buffer): Buffer {
  const data = typeof line === "string" ? Buffer.from(line) : line;
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, "0")), data]);
}
/** A pack of no objects: enough for updates that point refs at commits the repository has. */
function emptyPack(): Buffer {
  const head = Buffer.concat([Buffer.from("PACK"), Buffer.from([0, 0, 0, 2, 0, 0, 0, 0])]);
  return Buffer.concat([head, crypto.createHash("sha1").update(head).digest()]);
}
async function receivePack(who: { email: string; token: string }, body: Buffer) {
  const res = await fetch(`${base}/git/${projectId}.git/git-receive-pack`, {
    method: "POST",
    headers: { authorization: auth(who), "content-type": "application/x-git-receive-pack-request" },
    body: new Uint8Array(body),
  });
  return { status: res.status, text: Buffer.from(await res.arrayBuffer()).toString("latin1") };
}

describe("the git remote", () => {
  it("lets a contributor push a new branch (an environment is recorded) and refuses their push to Staging, with git's own view of the updates", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-remote-"));
    try {
      await git(["clone", "--quiet", "--branch", "staging", remote(developer), work]);
      await git(["checkout", "--quiet", "-b", "feature-x"], work);
      fs.writeFileSync(path.join(work, "feature.txt"), "x");
      await git(["add", "."], work);
      await git(["commit", "--quiet", "-m", "Feature"], work);
      await git(["push", "--quiet", "origin", "feature-x"], work);
      const sha = (await git(["rev-parse", "HEAD"], work)).stdout.trim();
      expect(await branchHead(projectId, "feature-x")).toBe(sha);
      expect((await listEnvironments(db, projectId)).find((e) => e.name === "feature-x")).toMatchObject({ status: "inactive", type: "development" });
      expect((await listActivities(db, projectId)).some((a) => a.description.startsWith("Push created branch feature-x"))).toBe(true);

      const stagingBefore = await branchHead(projectId, "staging");
      const refused = await failure(git(["push", "--force", "origin", "feature-x:staging"], work));
      expect(refused).toContain("Pushing to Staging environments needs the contributor role; you are a viewer.");
      expect(await failure(git(["push", "origin", ":feature-x"], work))).toContain("feature-x has an environment: delete it in the console");
      expect(await branchHead(projectId, "staging")).toBe(stagingBefore);
      expect(await branchHead(projectId, "feature-x")).toBe(sha);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("tells the pusher what each branch became on their terminal, and reads -o environment.* options", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-remote-"));
    try {
      await git(["clone", "--quiet", "--branch", "staging", remote(admin), work]);
      await git(["checkout", "--quiet", "-b", "told"], work);
      const told = await git(["push", "origin", "told"], work);
      expect(told.stderr).toMatch(/remote: told: new environment under master, inactive\. Activate it in the console, or push with -o environment\.status=active\./);
      expect(told.stderr).toContain(`remote: Console: `);

      // Options: a parent, a title, and activation — refused with its reason here, where no worker has deployed Staging yet
      // (e2e/git-onboarding.spec.ts sees it activate).
      await git(["checkout", "--quiet", "-b", "opted"], work);
      const opted = await git(["push", "-o", "environment.parent=staging", "-o", "environment.title=Opted In", "-o", "environment.status=active", "origin", "opted"], work);
      expect(opted.stderr).toContain("remote: opted: new environment under staging, inactive: not activated — Its parent Staging is not active");
      const opt = (await listEnvironments(db, projectId)).find((e) => e.name === "opted");
      const staging = (await listEnvironments(db, projectId)).find((e) => e.name === "staging");
      expect(opt).toMatchObject({ title: "Opted In", parentId: staging!.id });

      // A contributor may push but not activate: the push lands, the terminal says why it stays inactive.
      await git(["checkout", "--quiet", "-b", "dev-wants-active"], work);
      const devWork = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-remote-dev-"));
      try {
        await git(["clone", "--quiet", "--branch", "staging", remote(developer), devWork]);
        await git(["checkout", "--quiet", "-b", "dev-wants-active"], devWork);
        const dev = await git(["push", "-o", "environment.status=active", "origin", "dev-wants-active"], devWork);
        expect(dev.stderr).toMatch(/remote: dev-wants-active: new environment under master, inactive: not activated — /);
      } finally {
        fs.rmSync(devWork, { recursive: true, force: true });
      }

      // Unknown options and unknown parents refuse the push, and nothing moves.
      await git(["checkout", "--quiet", "-b", "odd"], work);
      expect(await failure(git(["push", "-o", "ci.skip", "origin", "odd"], work))).toContain("Unknown push option “ci.skip”");
      expect(await failure(git(["push", "-o", "environment.parent=nowhere", "origin", "odd"], work))).toContain("there is no environment nowhere you can see");
      expect(await branchHead(projectId, "odd")).toBeNull();
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("refuses a command split across pkt-lines and one hidden in a push certificate, with nothing moved", async () => {
    const feature = (await branchHead(projectId, "feature-x"))!;
    const master = (await branchHead(projectId, "master"))!;
    const staging = (await branchHead(projectId, "staging"))!;
    const caps = "\0report-status side-band-64k agent=test";
    // One command in two pkt-lines.
    const split = await receivePack(developer, Buffer.concat([pkt(`${master} ${feature}`), pkt(` refs/heads/master${caps}\n`), Buffer.from("0000"), emptyPack()]));
    expect(split.text).not.toMatch(/ok refs\/heads\/master/);
    // Commands inside a push certificate, the second split across two pkt-lines.
    const cert = await receivePack(
      developer,
      Buffer.concat([
        pkt(`push-cert${caps}\n`),
        pkt("certificate version 0.1\n"),
        pkt(`pusher ${developer.email} 0 +0000\n`),
        pkt("\n"),
        pkt(`${master} ${feature} refs/heads/master\n`),
        pkt(`${staging} ${ZERO_SHA} refs/`),
        pkt("heads/staging\n"),
        pkt("-----BEGIN PGP SIGNATURE-----\n"),
        pkt("AAAA\n"),
        pkt("-----END PGP SIGNATURE-----\n"),
        pkt("push-cert-end\n"),
        Buffer.from("0000"),
        emptyPack(),
      ]),
    );
    expect(cert.text).toContain("push certificates");
    expect(await branchHead(projectId, "master")).toBe(master);
    expect(await branchHead(projectId, "staging")).toBe(staging);
    await fsck(projectId);
    // A push that does not come through the remote (no ticket) is refused by the hook itself.
    const direct = await run(path.join(repositoryPath(projectId), "hooks", "pre-receive"), [], { env: { PATH: process.env.PATH! } as unknown as NodeJS.ProcessEnv }).then(() => "accepted", (e: { stderr: string }) => e.stderr);
    expect(direct).toContain("accepted only through the project's git remote");
  });

  it("hides the branches of environments a member cannot see, HEAD included, and refuses to send them by name", async () => {
    const secret = await commitOn(projectId, "master", { "production-only.txt": "p" }, "Only on master");
    const listed = (await git(["ls-remote", remote(developer)])).stdout;
    expect(listed).not.toMatch(/refs\/heads\/master|HEAD/);
    expect(listed).toMatch(/refs\/heads\/staging/);
    expect((await git(["ls-remote", remote(admin)])).stdout).toMatch(/refs\/heads\/master/);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-remote-"));
    try {
      await git(["init", "--quiet", work]);
      expect(await failure(git(["fetch", "--quiet", remote(developer), secret], work))).toMatch(/not our ref|couldn't find remote ref|Server does not allow request/);
      expect(await failure(git(["fetch", "--quiet", remote(developer), "master"], work))).toMatch(/couldn't find remote ref master/);
      // A push to it is refused by git as hidden, with nothing of ours that would tell the branch exists.
      await git(["fetch", "--quiet", remote(developer), "staging"], work);
      const probe = await failure(git(["push", remote(developer), "FETCH_HEAD:refs/heads/master"], work));
      expect(probe).not.toContain("Production");
      expect(probe).toMatch(/hidden ref|rejected/);
      expect(await branchHead(projectId, "master")).toBe(secret);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("answers a gzip bomb with 413 without holding it, and a broken body with 400", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 }); // ~256 KiB that inflates to 256 MiB
    const rssBefore = process.memoryUsage().rss;
    // Each on its own connection (agent: false): an answer sent before the body is read ends it.
    const post = (service: string, body: Buffer) =>
      new Promise<{ status: number; text: string } | null>((resolve) => {
        const req = http.request(`${base}/git/${projectId}.git/${service}`, {
          method: "POST",
          agent: false,
          headers: { authorization: auth(admin), "content-type": `application/x-${service}-request`, "content-encoding": "gzip" },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on("error", () => resolve(null));
        });
        req.on("error", () => resolve(null));
        req.end(body);
      });
    const res = await post("git-upload-pack", bomb);
    expect(res?.status).toBe(413);
    expect(res?.text).toMatch(/larger than 8 MiB once decompressed, the most this server accepts/);
    // git stops reading a push of zeros at once; the server answers or hangs up, and goes on serving.
    expect((await post("git-receive-pack", bomb))?.status).not.toBe(500);
    expect((await git(["ls-remote", remote(admin)])).stdout).toMatch(/refs\/heads\/staging/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
    expect(await post("git-upload-pack", Buffer.from("not gzip at all"))).toEqual({ status: 400, text: "The request body is not valid gzip. Nothing was changed.\n" });
  });
});
