import { expect, test } from "./support/test";
import { newDeployedProject } from "./support/pages";

/**
 * The environment page lists the deployed crons in words with their next time, and Run now runs
 * one as an activity beside the running release: the notice follows it to its end, and its log
 * has the cron's output.
 */
test("Run now runs a deployed cron as an activity with its log; the Crons panel says when each would run", async ({ browser }) => {
  test.setTimeout(120_000);
  const { projectId, context, page } = await newDeployedProject(browser, "cron", "Crons");
  await page.goto(`/projects/${projectId}/environments/staging`);
  const panel = page.getByRole("region", { name: "Crons" });
  await expect(panel.getByTestId("cron-cronrun")).toContainText("cronrun · every 5 minutes */5 * * * *");
  await expect(panel.getByTestId("cron-cronrun")).toContainText(/Would run next at \d\d:\d\d UTC, [A-Z][a-z]{2} \d{1,2}/);
  await panel.getByRole("button", { name: "Run now" }).click();
  const notice = panel.getByTestId("activity-notice");
  await expect(notice).toContainText("Completed: Cron cronrun on staging", { timeout: 60_000 });
  await notice.getByRole("link", { name: "Open its log" }).click();
  await expect(page.getByText("The cron cronrun ended successfully in")).toBeVisible();
  await expect(page.getByText("cron", { exact: true }).first()).toBeVisible();
  await context.close();
});
