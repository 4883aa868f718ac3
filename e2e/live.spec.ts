import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/test";
import { commitInRepository } from "./support/git";
import { newDeployedProject } from "./support/pages";

test("the environment page follows its activity live: busy reasons, the header, the activity list, another tab's activity, without a reload", async ({ browser }) => {
  test.setTimeout(120_000);
  const { projectId, context, page } = await newDeployedProject(browser, "live", "Live store");
  // master gets a deploy hook that takes a few seconds; syncing staging from it deploys that.
  await commitInRepository(
    projectId,
    "master",
    (dir) => {
      const file = path.join(dir, ".magento.app.yaml");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("  deploy: |\n    set -e\n", '  deploy: |\n    set -e\n    echo "slow deploy"; sleep 8\n'));
    },
    "A slow deploy",
  );

  await page.goto(`/projects/${projectId}/environments/staging`);
  const status = page.getByTestId("environment-status");
  await expect(status).toHaveText("Active");
  await page.getByRole("button", { name: "Sync", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: "Sync" }).click();
  await expect(dialog.getByTestId("activity-notice")).toBeVisible();
  await page.keyboard.press("Escape");

  // While it runs: the header says so and every button's reason says busy, not inactive.
  await expect(status).toHaveText(/^Running: Sync code (and data )?from master into staging/, { timeout: 15_000 });
  const branch = page.getByRole("button", { name: "Branch", exact: true });
  await expect(branch).toHaveAttribute("aria-disabled", "true");
  await expect(branch).toHaveAccessibleDescription(/^Staging has a running activity: Sync code (and data )?from master into staging\.$/);
  await branch.click({ force: true });
  await expect(page.getByRole("status").filter({ hasText: /^Branch: Staging has a running activity: Sync code (and data )?from master into staging\.$/ })).toBeVisible();

  // When it ends: the header, the activity list and the buttons agree, with no reload.
  await expect(status).toHaveText("Active", { timeout: 30_000 });
  await expect(branch).not.toHaveAttribute("aria-disabled", "true");
  await expect(page.getByText(/Sync code (and data )?from master into staging/).first()).toBeVisible();
  await branch.click();
  await expect(page.getByRole("dialog", { name: "Branch from Staging" })).toBeVisible();
  await page.keyboard.press("Escape");

  // A change made elsewhere (another tab) reaches an open project page through its event stream.
  await page.goto(`/projects/${projectId}`);
  await expect(page.getByText(/Sync code (and data )?from master into staging/).first()).toBeVisible();
  const other = await context.newPage();
  await other.goto(`/projects/${projectId}/environments/master`);
  await other.getByRole("button", { name: "Redeploy", exact: true }).click();
  await other.getByRole("dialog").getByRole("button", { name: "Redeploy" }).click();
  await expect(other.getByRole("dialog").getByTestId("activity-notice")).toBeVisible();
  await expect(page.getByText("Redeploy master").first()).toBeVisible({ timeout: 10_000 });
  await context.close();
});
