import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "./support/test";
import { ADMIN, ADMIN_STATE } from "./support/accounts";
import { git } from "./support/git";
import { createProject, uniqueSuffix, waitForIdle } from "./support/pages";

/**
 * A newcomer's first hour on a Pro project, at a desktop's width and a phone's: clone from the
 * Code panel, push a branch, find it, activate it, push a failing build (git push fails with
 * the reason, the header says what is served), fix it, open the site from the title, pause and
 * resume from the header, delete it (the notice ends). Each step is photographed in light and
 * dark (test-results/newcomer/), to be looked at.
 */
const SHOTS = path.join("test-results", "newcomer");

async function shoot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${colorScheme}.png`), animations: "disabled" });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** git push, whatever its exit code: the code and what git wrote. */
async function push(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return git(["push", ...args], cwd).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: String(e.stderr) }),
  );
}

for (const viewport of [
  { name: "desktop", width: 1440, height: 900 },
  { name: "phone", width: 390, height: 844 },
]) {
  test(`a newcomer's first hour on a Pro project (${viewport.name}, ${viewport.width} px)`, async ({ browser, baseURL }) => {
    test.setTimeout(420_000);
    const projectId = `hour-${uniqueSuffix()}`;
    const shot = (step: string) => shoot(page, `${viewport.name}-${step}`);
    const context = await browser.newContext({ storageState: ADMIN_STATE, viewport });
    const page = await context.newPage();
    await createProject(page, "First hour", "Pro", projectId);
    await waitForIdle(page, projectId, "integration", 120_000);

    // 1. The Code panel says where work starts, with the address this browser uses.
    await page.goto(`/projects/${projectId}`);
    const clone = page.getByTestId("clone-command");
    await expect(clone).toContainText("integration");
    await expect(clone).toContainText(new URL(baseURL!).host);
    await shot("1-project");

    await page.goto("/account");
    await page.getByLabel("Token name").fill("first hour");
    await page.getByRole("button", { name: "Create token" }).click();
    const remote = new URL(`/git/${projectId}.git`, baseURL);
    remote.username = encodeURIComponent(ADMIN.email);
    remote.password = (await page.getByTestId("new-token").textContent())!.trim();

    const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-hour-"));
    try {
      // 2. Clone (the default branch is where work starts) and push a branch: the terminal links its environment.
      await git(["clone", "--quiet", remote.toString(), work]);
      expect((await git(["rev-parse", "--abbrev-ref", "HEAD"], work)).stdout.trim()).toBe("integration");
      await git(["checkout", "--quiet", "-b", "feature-x"], work);
      fs.writeFileSync(path.join(work, "feature.txt"), "x\n");
      await git(["add", "."], work);
      await git(["commit", "--quiet", "-m", "Add the feature"], work);
      const first = await push(["origin", "feature-x"], work);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain("remote: feature-x: new environment under integration, inactive.");
      expect(first.stderr).toContain(`remote: Console: ${baseURL}/projects/${projectId}/environments/feature-x`);

      // 3. Find it: shown unfolded on the project page, marked new.
      await page.goto(`/projects/${projectId}`);
      const row = page.getByRole("link", { name: /^Feature-x \(feature-x\)|^feature-x \(feature-x\)/ });
      await expect(row).toBeVisible();
      await expect(row).toContainText("new");
      await shot("2-pushed-branch");

      // 4. Activate it.
      await row.click();
      await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/feature-x$`));
      await page.getByRole("toolbar").getByRole("button", { name: "Activate", exact: true }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Activate" }).click();
      await expect(page.getByRole("dialog").getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 90_000 });
      await page.keyboard.press("Escape");
      await waitForIdle(page, projectId, "feature-x", 60_000);
      await page.goto(`/projects/${projectId}/environments/feature-x`);
      const served = (await page.getByTestId("deployed-commit").textContent())!.trim();
      await shot("3-activated");

      // 5. A failing build: git push exits non-zero with the reason; the header says what is still served.
      const appYaml = path.join(work, ".magento.app.yaml");
      const good = fs.readFileSync(appYaml, "utf8");
      fs.writeFileSync(appYaml, good.replace("  build: |\n    set -e\n", "  build: |\n    set -e\n    echo 'the build breaks here' >&2; exit 1\n"));
      await git(["commit", "--quiet", "-am", "Break the build"], work);
      const broken = await push(["origin", "feature-x"], work);
      expect(broken.code, broken.stderr).not.toBe(0);
      expect(broken.stderr).toContain("remote: the build breaks here");
      expect(broken.stderr).toContain(`remote: feature-x: the deploy failed; ${served.slice(0, 7)} is served. The commits are pushed`);
      expect(broken.stderr).toMatch(/\[remote rejected\] +feature-x -> feature-x \(deploy failed; the commits are pushed/);
      await page.goto(`/projects/${projectId}`);
      await expect(page.getByRole("link", { name: /^feature-x \(feature-x\)/ }).getByTestId("row-deploy-failed")).toContainText(`Last deploy failed — serving ${served.slice(0, 7)}`);
      await page.goto(`/projects/${projectId}/environments/feature-x`);
      await expect(page.getByTestId("deploy-failed")).toContainText(`Last deploy failed — serving ${served.slice(0, 7)}`);
      await shot("4-failed-build");

      // 6. Fixed: the push ends well and the header no longer says failed.
      fs.writeFileSync(appYaml, good);
      await git(["commit", "--quiet", "-am", "Fix the build"], work);
      const fixed = await push(["origin", "feature-x"], work);
      expect(fixed.code, fixed.stderr).toBe(0);
      const head = (await git(["rev-parse", "HEAD"], work)).stdout.trim();
      expect(fixed.stderr).toContain(`remote: feature-x: deployed; ${head.slice(0, 7)} is served.`);
      await expect(page.getByTestId("deploy-failed")).toHaveCount(0);

      // 7. Open the site from the title: it serves the fixed commit.
      const openSite = page.getByRole("link", { name: "Open site" });
      const box = (await openSite.boundingBox())!;
      expect(box.y + box.height, "Open site is in the first screen").toBeLessThanOrEqual(viewport.height);
      await shot("5-fixed");
      const [site] = await Promise.all([context.waitForEvent("page"), openSite.click()]);
      await expect(site.locator("body")).toContainText(head);
      await site.close();

      // 8. Pause from the header (it asks once), then Resume beside "Paused".
      await page.getByRole("toolbar").getByRole("button", { name: "Pause", exact: true }).click();
      await page.getByRole("button", { name: "Pause feature-x", exact: true }).click();
      await expect(page.getByTestId("environment-status")).toHaveText("Paused", { timeout: 60_000 });
      await expect(page.getByTestId("paused-by")).toContainText(`by ${ADMIN.name} on`);
      await shot("6-paused");
      await page.getByTestId("paused-control").getByRole("button", { name: "Resume" }).click();
      await expect(page.getByTestId("environment-status")).toHaveText("Active", { timeout: 60_000 });
      await waitForIdle(page, projectId, "feature-x", 60_000);

      // 9. Deactivate, then Delete: the notice follows the deletion to its end, and a reload shows none.
      await page.getByRole("toolbar").getByRole("button", { name: "Deactivate", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Type feature-x to deactivate it").fill("feature-x");
      await page.getByRole("dialog").getByRole("button", { name: "Deactivate and delete data" }).click();
      await expect(page.getByRole("dialog").getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 90_000 });
      await page.keyboard.press("Escape");
      await page.getByRole("toolbar").getByRole("button", { name: "Delete", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Type feature-x to delete it").fill("feature-x");
      await page.getByRole("dialog").getByRole("button", { name: "Delete environment and branch" }).click();
      await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/integration$`), { timeout: 30_000 });
      await expect(page.getByTestId("deleted-notice")).toContainText("feature-x was deleted", { timeout: 60_000 });
      await shot("7-deleted");
      await page.reload();
      await expect(page.getByTestId("deleted-notice")).toHaveCount(0);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
      await context.close();
    }
  });
}
