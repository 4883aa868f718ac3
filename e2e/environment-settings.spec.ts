import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./support/test";
import { ADMIN } from "./support/accounts";
import { git } from "./support/git";
import { newDeployedProject, waitForIdle } from "./support/pages";

test("access control turned on in the UI makes the site ask for a login; robots; pause and resume from the page; a push resumes too", async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  const { projectId, context, page } = await newDeployedProject(browser, "guard", "Guarded");
  const siteUrl = `http://staging.${projectId}.localhost:${process.env.E2E_ENV_PORT}/`;

  await page.goto(`/projects/${projectId}/environments/staging`);
  await page.getByRole("link", { name: /^Settings: access control/ }).click();
  await expect(page.getByRole("heading", { name: "Settings of Staging" })).toBeVisible();
  const form = page.getByRole("form", { name: "Settings the router enforces" });
  await expect(form.getByLabel("Hide from search engines")).toBeChecked();
  // Bad input first: a username with ":" and a bad address rule, each said, nothing saved.
  await form.getByLabel("Protect this environment's site").check();
  await form.getByLabel("Add a login: username").fill("ann:x");
  await form.getByLabel("Password").fill("open-sesame");
  await form.getByRole("button", { name: "Save and redeploy" }).click();
  await expect(form.getByText("Remove the “:”.")).toBeVisible({ timeout: 30_000 });
  await form.getByLabel("Add a login: username").fill("ann");
  await form.getByLabel("Password").fill("open-sesame");
  await form.getByLabel("Address rules, one per line").fill("10.0.0.0/33 allow");
  await form.getByRole("button", { name: "Save and redeploy" }).click();
  await expect(form.getByText(/“10\.0\.0\.0\/33” is not an IPv4 or IPv6 address/)).toBeVisible({ timeout: 30_000 });
  await form.getByLabel("Address rules, one per line").fill("");
  await form.getByLabel("Password").fill("open-sesame");
  await form.getByRole("button", { name: "Save and redeploy" }).click();
  const notice = page.getByTestId("activity-notice");
  await expect(notice).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await expect(notice).toContainText("Change HTTP access control of staging");
  await expect(page.getByRole("list", { name: "Logins" })).toContainText("ann");

  // The site asks for the login; with it, it answers.
  // (A browser without credentials gives up on a 401; ask as a plain client, by the site's path address.)
  const refused = await page.request.get(`http://localhost:${process.env.E2E_ENV_PORT}/${projectId}/staging/`);
  expect(refused.status()).toBe(401);
  expect(refused.headers()["www-authenticate"]).toBe('Basic realm="staging", charset="UTF-8"');
  const member = await browser.newContext({ httpCredentials: { username: "ann", password: "open-sesame" } });
  const sitePage = await member.newPage();
  const allowed = await sitePage.goto(siteUrl);
  expect(allowed?.status()).toBe(200);
  expect(allowed?.headers()["x-robots-tag"]).toBe("noindex, nofollow");
  await expect(sitePage.getByRole("heading", { name: "Guarded" })).toBeVisible();

  // Pause: the site answers 503 and says so; Resume serves it again.
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await page.getByRole("button", { name: "Pause staging", exact: true }).click(); // it asks once, saying what happens
  await expect(page.getByRole("region", { name: "Pause" }).getByTestId("activity-notice")).toContainText("Completed: Pause staging", { timeout: 60_000 });
  const paused = await sitePage.goto(siteUrl);
  expect(paused?.status()).toBe(503);
  await expect(sitePage.getByRole("heading", { name: "This environment is paused" })).toBeVisible();
  // The paused page reloads itself every 5 s: leave it, or its reload can cut a later visit short.
  await sitePage.goto("about:blank");
  await page.goto(`/projects/${projectId}/environments/staging`);
  await expect(page.getByTestId("environment-status")).toHaveText("Paused");
  await page.goto(`/projects/${projectId}/environments/staging/settings`);
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByRole("region", { name: "Pause" }).getByTestId("activity-notice")).toContainText("Completed: Resume staging", { timeout: 60_000 });
  expect((await sitePage.goto(siteUrl))?.status()).toBe(200);

  // Paused again, a push resumes it: its deploy serves the site.
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await page.getByRole("button", { name: "Pause staging", exact: true }).click(); // it asks once, saying what happens
  // The Resume notice is still shown: wait for this Pause's own activity, not for any success.
  await expect(page.getByRole("region", { name: "Pause" }).getByTestId("activity-notice")).toContainText("Completed: Pause staging", { timeout: 60_000 });
  expect((await sitePage.goto(siteUrl))?.status()).toBe(503);
  await sitePage.goto("about:blank");
  await page.goto("/account");
  await page.getByLabel("Token name").fill("pause-test");
  await page.getByRole("button", { name: "Create token" }).click();
  const remote = new URL(`/git/${projectId}.git`, baseURL);
  remote.username = encodeURIComponent(ADMIN.email);
  remote.password = (await page.getByTestId("new-token").textContent())!.trim();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-pause-"));
  try {
    await git(["clone", "--quiet", "--branch", "staging", remote.toString(), work]);
    fs.writeFileSync(path.join(work, "README.md"), "Resumed by a push\n");
    await git(["commit", "--quiet", "-am", "Resume by pushing"], work);
    await git(["push", "--quiet", "origin", "staging"], work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  await waitForIdle(page, projectId, "staging", 60_000);
  expect((await sitePage.goto(siteUrl))?.status()).toBe(200);
  await page.goto(`/projects/${projectId}/environments/staging`);
  await expect(page.getByTestId("environment-status")).toHaveText("Active");
  await member.close();
  await context.close();
});
