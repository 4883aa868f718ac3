import fs from "node:fs";
import path from "node:path";
import { commitInRepository } from "./support/git";
import { shoot } from "./support/shoot";
import { expect, test } from "./support/test";
import { newDeployedProject, waitForIdle } from "./support/pages";

/**
 * The environment page lists its deployments; Roll back asks once, switches to an earlier one's
 * kept build (the page then says the environment runs an older deployment than its branch, and
 * the site serves it), and Redeploy returns to the branch's head. Photographed at a desktop's
 * and a phone's width, light and dark (test-results/rollback/).
 */
test("Roll back to an earlier deployment: asked once, the older build serves again, the page says so; Redeploy returns to the branch's head", async ({ browser }) => {
  test.setTimeout(180_000);
  const { projectId, context, page } = await newDeployedProject(browser, "rollback", "Rollback");
  await page.goto(`/projects/${projectId}/environments/staging`);
  const panel = page.getByRole("region", { name: "Deployments" });
  const first = (await panel.getByTestId("deployments").getByRole("listitem").first().locator("code").textContent())!.trim();

  // A second deployment: a commit on master, synced into staging.
  const second = (
    await commitInRepository(projectId, "master", (dir) => fs.appendFileSync(path.join(dir, "README.md"), "\nA second deployment.\n"), "A second deployment")
  ).slice(0, 7);
  await page.reload();
  await page.getByRole("toolbar").getByRole("button", { name: "Sync", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sync" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toBeVisible({ timeout: 30_000 });
  await page.keyboard.press("Escape");
  await waitForIdle(page, projectId, "staging");
  await page.reload();
  await expect(panel.getByTestId(`deployment-${second}`)).toContainText("serving");
  await expect(panel.getByTestId(`deployment-${second}`).getByRole("button", { name: /Roll back/ })).toHaveCount(0);

  // Roll back asks once; Keep keeps.
  const older = panel.getByTestId(`deployment-${first}`);
  await older.getByRole("button", { name: `Roll back to ${first}` }).click();
  await expect(older).toContainText(`Serve ${first} again?`);
  await older.getByRole("button", { name: "Keep" }).click();
  await older.getByRole("button", { name: `Roll back to ${first}` }).click();
  await older.getByRole("button", { name: "Roll back", exact: true }).click();
  await expect(older.getByTestId("activity-notice")).toContainText(`Roll back staging to ${first}`, { timeout: 30_000 });
  await waitForIdle(page, projectId, "staging");
  await page.reload();
  await expect(page.getByTestId("rolled-back")).toContainText(`Rolled back to ${first}; the branch is at ${second}: Redeploy to return to it. Data was not rolled back (no backup is older than the deployment it replaced).`);
  await expect(panel.getByTestId("deployments").getByRole("listitem").first()).toContainText(`${first}serving`);
  await expect(panel.getByTestId("deployments").getByRole("listitem").first()).toContainText("Roll back by");
  // The site serves the older commit.
  const site = await page.request.get(`/api/projects/${projectId}/overview`);
  expect(((await site.json()) as { environments: { name: string; deployedCommit: string }[] }).environments.find((e) => e.name === "staging")?.deployedCommit.slice(0, 7)).toBe(first);
  await shoot(page, "rollback", "rolled-back");

  // Redeploy returns to the branch's head.
  await page.getByRole("toolbar").getByRole("button", { name: "Redeploy", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Redeploy" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toBeVisible({ timeout: 30_000 });
  await page.keyboard.press("Escape");
  await waitForIdle(page, projectId, "staging");
  await page.reload();
  await expect(page.getByTestId("rolled-back")).toHaveCount(0);
  await expect(panel.getByTestId("deployments").getByRole("listitem").first()).toContainText(`${second}serving`);
  await context.close();
});
