import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "./support/test";
import { ADMIN, ADMIN_STATE } from "./support/accounts";
import { git } from "./support/git";
import { addUser, createProject, expectLogLine, signIn, uniqueSuffix } from "./support/pages";


async function waitFor(page: Page, projectId: string, check: (body: { environments: { name: string; status: string; busy: unknown; deployedCommit: string | null }[]; activities: { description: string; state: string; result: string | null; id: string }[] }) => void, query = "") {
  await expect(async () => {
    const res = await page.request.get(`/api/projects/${projectId}/overview${query}`);
    check(await res.json());
  }).toPass({ timeout: 40_000 });
}

test("clone with a token, push to a branch, watch it deploy, merge it into staging", async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  const projectId = `git-${uniqueSuffix()}`;
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await createProject(page, "Git store", "Starter", projectId);
  await waitFor(page, projectId, (b) => expect(b.environments.find((e) => e.name === "staging")).toMatchObject({ status: "active", busy: null }));

  await page.goto(`/projects/${projectId}/environments/staging`);
  await page.getByRole("button", { name: "Branch", exact: true }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("push-test");
  await page.getByRole("dialog").getByRole("button", { name: "Branch" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toBeVisible();
  await waitFor(page, projectId, (b) => expect(b.environments.find((e) => e.name === "push-test")).toMatchObject({ status: "active", busy: null }));

  await page.goto("/account");
  await page.getByLabel("Token name").fill("e2e");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  expect(token).toMatch(/^pwi_/);

  const remote = new URL(`/git/${projectId}.git`, baseURL);
  const bad = new URL(remote);
  bad.username = encodeURIComponent(ADMIN.email);
  bad.password = "wrong-token";
  const refused = await git(["ls-remote", bad.toString()]).catch((e: { stderr: string }) => e);
  expect(String((refused as { stderr: string }).stderr)).toMatch(/Authentication failed|401/);

  remote.username = encodeURIComponent(ADMIN.email);
  remote.password = token;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-clone-"));
  try {
    await git(["clone", "--quiet", remote.toString(), work]);
    await git(["checkout", "--quiet", "push-test"], work);
    const index = path.join(work, "public", "index.php");
    fs.writeFileSync(index, fs.readFileSync(index, "utf8").replace("</body>", "  <p>Hello from a push</p>\n</body>"));
    await git(["commit", "--quiet", "-am", "Say hello"], work);
    const sha = (await git(["rev-parse", "HEAD"], work)).stdout.trim();
    // The project page stays open while the push happens: its activity appears there by itself.
    const watching = await context.newPage();
    await watching.goto(`/projects/${projectId}`);
    await git(["push", "--quiet", "origin", "push-test"], work);
    await expect(watching.getByText(`Push to push-test (${sha.slice(0, 7)})`).first()).toBeVisible({ timeout: 10_000 });
    await watching.close();

    await waitFor(page, projectId, (b) => {
      expect(b.activities.find((a) => a.description === `Push to push-test (${sha.slice(0, 7)})`)).toMatchObject({ state: "complete", result: "success" });
    });
    await page.goto(`/projects/${projectId}/environments/push-test`);
    await page.getByRole("link", { name: /Push to push-test/ }).click();
    await expectLogLine(page, "The application answers");

    await page.goto(`/projects/${projectId}/environments/push-test`);
    await page.getByRole("button", { name: "Merge" }).click();
    await expect(page.getByRole("dialog")).toContainText("1 commit will be merged");
    await expect(page.getByRole("dialog")).toContainText("Say hello");
    await page.getByRole("dialog").getByRole("button", { name: "Merge into staging" }).click();
    await waitFor(page, projectId, (b) => expect(b.environments.find((e) => e.name === "staging")).toMatchObject({ deployedCommit: sha, busy: null }));
    await page.goto(`/projects/${projectId}/environments/staging`);
    await expect(page.getByText(sha.slice(0, 12)).first()).toBeVisible();

    // A new branch pushed becomes an inactive environment.
    await git(["checkout", "--quiet", "-b", "from-laptop"], work);
    await git(["push", "--quiet", "origin", "from-laptop"], work);
    await waitFor(page, projectId, (b) => expect(b.environments.find((e) => e.name === "from-laptop")).toMatchObject({ status: "inactive" }), "?environment=from-laptop");
    // With -o environment.status=active (and room in the plan) it is activated in the same push.
    await git(["checkout", "--quiet", "-b", "laptop-live"], work);
    const live = await git(["push", "-o", "environment.status=active", "origin", "laptop-live"], work);
    expect(live.stderr).toMatch(/remote: laptop-live: new environment under master; activating it \(copies its parent's data, then deploys [0-9a-f]{7}\)\. Log: http/);
    await waitFor(page, projectId, (b) => expect(b.environments.find((e) => e.name === "laptop-live")).toMatchObject({ status: "active", busy: null }));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await context.close();
  }
});

test("a viewer may fetch but gets 403 on push; a non-member gets 403", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const suffix = uniqueSuffix();
  const projectId = `gitv-${suffix}`;
  const viewer = { name: "Gina Viewer", email: `gina-${suffix}@example.com`, password: "gina-password-1" };
  const outsider = { name: "Otto Outsider", email: `otto-${suffix}@example.com`, password: "otto-password-1" };
  const adminContext = await browser.newContext({ storageState: ADMIN_STATE });
  const admin = await adminContext.newPage();
  await createProject(admin, "Git viewer store", "Starter", projectId);
  await addUser(admin, viewer);
  await addUser(admin, outsider);
  await admin.goto(`/projects/${projectId}/access`);
  const add = admin.getByRole("region", { name: "Add a member" });
  await add.getByLabel("Email").fill(viewer.email);
  await add.getByLabel("Project role").selectOption("viewer");
  await add.getByLabel("Integration environments").selectOption("viewer");
  await add.getByRole("button", { name: "Add member" }).click();
  await expect(admin.getByRole("listitem", { name: viewer.name })).toBeVisible();
  await adminContext.close();

  async function tokenFor(user: { email: string; password: string }) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, user.email, user.password);
    await page.goto("/account");
    await page.getByLabel("Token name").fill("cli");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("new-token").textContent())!.trim();
    await context.close();
    const remote = new URL(`/git/${projectId}.git`, baseURL);
    remote.username = encodeURIComponent(user.email);
    remote.password = token;
    return remote.toString();
  }

  const viewerRemote = await tokenFor(viewer);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-viewer-"));
  try {
    await git(["clone", "--quiet", viewerRemote, work]);
    await git(["checkout", "--quiet", "-b", "viewer-change"], work);
    fs.writeFileSync(path.join(work, "viewer.txt"), "not allowed\n");
    await git(["add", "viewer.txt"], work);
    await git(["commit", "--quiet", "-m", "Viewer change"], work);
    const push = await git(["push", "origin", "viewer-change"], work).then(() => null, (e: { stderr: string }) => e.stderr);
    expect(push).toContain("403");
    expect((await git(["ls-remote", "--heads", viewerRemote])).stdout).not.toContain("viewer-change");
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  const outsiderRemote = await tokenFor(outsider);
  const refused = await git(["ls-remote", outsiderRemote]).then(() => null, (e: { stderr: string }) => e.stderr);
  expect(refused).toContain("403");
  const missing = new URL(outsiderRemote);
  missing.pathname = "/git/no-such-project.git";
  expect(await git(["ls-remote", missing.toString()]).then(() => null, (e: { stderr: string }) => e.stderr)).toContain("403");
});
