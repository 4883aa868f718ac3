import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "./support/test";
import { ADMIN } from "./support/accounts";
import { git } from "./support/git";
import { newDeployedProject, waitForIdle } from "./support/pages";

/** Pushes what `edit` changes on `branch` (a push that waits for its deploy may exit non-zero when the deploy fails: the commits are pushed either way). */
async function pushChange(remote: string, branch: string, edit: (dir: string) => void, message: string) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-truth-"));
  try {
    await git(["clone", "--quiet", "--branch", branch, remote, work]);
    edit(work);
    await git(["commit", "--quiet", "-am", message], work);
    await git(["push", "--quiet", "origin", branch], work).catch(() => null);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const appYaml = (dir: string) => path.join(dir, ".magento.app.yaml");

async function tokenRemote(page: Page, projectId: string, baseURL: string) {
  await page.goto("/account");
  await page.getByLabel("Token name").fill("truth");
  await page.getByRole("button", { name: "Create token" }).click();
  const remote = new URL(`/git/${projectId}.git`, baseURL);
  remote.username = encodeURIComponent(ADMIN.email);
  remote.password = (await page.getByTestId("new-token").textContent())!.trim();
  return remote.toString();
}

test("the environment page tells the truth: the site a click from the title, a failed deploy until one succeeds, Pause and Resume from the header, the whole path", async ({ browser, baseURL }) => {
  test.setTimeout(240_000);
  const { projectId, context, page } = await newDeployedProject(browser, "truth", "Truth");
  const envPage = `/projects/${projectId}/environments/staging`;
  await page.goto(envPage);

  // The breadcrumb is the whole path: the project, the ancestors, this environment.
  const crumbs = page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link");
  await expect(crumbs).toHaveText(["Truth", "Production", "Staging"]);
  await expect(crumbs.last()).toHaveAttribute("aria-current", "page");

  // Open site beside the title: the primary route; the others in its menu.
  const openSite = page.getByRole("link", { name: "Open site" });
  await expect(openSite).toHaveAttribute("href", `http://staging.${projectId}.localhost:${process.env.E2E_ENV_PORT}/`);
  await page.getByRole("button", { name: "Other addresses of the site" }).click();
  await expect(page.getByRole("menuitem", { name: /for clients without \*\.localhost/ })).toHaveAttribute("href", new RegExp(`/${projectId}/staging/$`));
  await expect(page.getByRole("menuitem", { name: /redirects to/ })).toHaveCount(1);
  await page.keyboard.press("Escape");
  const served = (await page.getByTestId("deployed-commit").textContent())!.trim();
  expect(served).toMatch(/^[0-9a-f]{12}$/);

  // A build that fails: the header says so, names what is still served and links the log.
  const remote = await tokenRemote(page, projectId, baseURL!);
  await pushChange(remote, "staging", (dir) => fs.writeFileSync(appYaml(dir), fs.readFileSync(appYaml(dir), "utf8").replace("  build: |\n    set -e\n", "  build: |\n    set -e\n    echo 'failing on purpose' >&2; exit 1\n")), "Break the build");
  await page.goto(envPage);
  const failed = page.getByTestId("deploy-failed");
  await expect(failed).toContainText(`Last deploy failed — serving ${served.slice(0, 7)}`, { timeout: 90_000 });
  await expect(failed.getByRole("link", { name: "Open its log" })).toHaveAttribute("href", new RegExp(`^/projects/${projectId}/activities/[0-9a-f-]{36}$`));
  await expect(page.getByTestId("deployed-commit")).toHaveText(served);
  // Fixed: the next deploy succeeds and the note ends, on the open page (its events), without a reload.
  await pushChange(remote, "staging", (dir) => fs.writeFileSync(appYaml(dir), fs.readFileSync(appYaml(dir), "utf8").replace("    echo 'failing on purpose' >&2; exit 1\n", "")), "Fix the build");
  await expect(failed).toHaveCount(0, { timeout: 90_000 });
  await expect(page.getByTestId("deployed-commit")).not.toHaveText(served);
  await waitForIdle(page, projectId, "staging", 60_000);

  // Pause asks once, saying what happens; the header then says who paused it and offers Resume.
  await page.goto(`${envPage}/settings`);
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await expect(page.getByRole("group", { name: /answers 503 until you Resume it/ })).toContainText("Nothing is deleted");
  await page.getByRole("button", { name: "Pause staging", exact: true }).click();
  await expect(page.getByRole("region", { name: "Pause" }).getByTestId("activity-notice")).toContainText("Completed: Pause staging", { timeout: 60_000 });
  await page.goto(envPage);
  await expect(page.getByTestId("environment-status")).toHaveText("Paused");
  await expect(page.getByTestId("paused-by")).toContainText(`by ${ADMIN.name} on`);
  await expect(page.getByRole("link", { name: "Open site" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Open site" })).toHaveAttribute("aria-disabled", "true");
  await page.getByTestId("paused-control").getByRole("button", { name: "Resume" }).click();
  await expect(page.getByTestId("environment-status")).toHaveText("Active", { timeout: 60_000 });
  await expect(page.getByTestId("paused-control")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Open site" })).toBeVisible();

  // The 503 page of a paused site links the environment's page (checked in the router's tests); on a phone, Open site is in the first screen.
  const phone = await browser.newContext({ storageState: await context.storageState(), viewport: { width: 390, height: 844 } });
  const small = await phone.newPage();
  await small.goto(envPage);
  const box = (await small.getByRole("link", { name: "Open site" }).boundingBox())!;
  expect(box.y + box.height).toBeLessThanOrEqual(844);
  await phone.close();
  await context.close();
});
