import fs from "node:fs";
import path from "node:path";
import { commitInRepository } from "./support/git";
import { shoot } from "./support/shoot";
import { expect, test } from "./support/test";
import { newDeployedProject, waitForIdle } from "./support/pages";

/**
 * The environment page lists the deployed crons in words, and Run now runs one as an activity
 * beside the running release: the notice follows it to its end, its log has the cron's output,
 * and the panel then says how its last run went. Pause crons / Resume crons say who paused them.
 * A cron that fails three times in a row is said at the top of the environment page and on its
 * row in the project's tree, until it succeeds. Ended cron runs are folded in the activity list.
 * (The shared server schedules no crons: CRON_SCHEDULER=0; the scheduler has its own tests.)
 * Photographed at a desktop's and a phone's width, light and dark (test-results/crons/).
 */
test("Run now runs a deployed cron with its log; Pause and Resume crons; three failures in a row show on the page and in the tree", async ({ browser }) => {
  test.setTimeout(180_000);
  const { projectId, context, page } = await newDeployedProject(browser, "cron", "Crons");
  await page.goto(`/projects/${projectId}/environments/staging`);
  const panel = page.getByRole("region", { name: "Crons" });
  const cronrun = panel.getByTestId("cron-cronrun");
  await expect(cronrun).toContainText("cronrun · every 5 minutes */5 * * * *");
  await expect(panel.getByTestId("crons-not-scheduled")).toHaveText("This server starts no crons on their schedule (CRON_SCHEDULER=0): Run now runs one.");
  await expect(cronrun).toContainText("Not run yet.");
  await cronrun.getByRole("button", { name: "Run now" }).click();
  const notice = cronrun.getByTestId("activity-notice");
  await expect(notice).toContainText("Completed: Cron cronrun on staging", { timeout: 60_000 });
  // The panel says how it went, without a reload.
  await expect(cronrun.getByTestId("cron-last")).toContainText(/^Last run \d\d:\d\d UTC, [A-Z][a-z]{2} \d{1,2}: succeeded in \d+\.\d s · its log$/);
  // Ended cron runs are folded in the activity list; its filter shows them.
  const stream = page.getByRole("region", { name: "Activity", exact: true });
  await expect(stream.getByRole("link", { name: /Cron cronrun on staging/ })).toHaveCount(0);
  await stream.getByLabel("Show cron runs").check();
  await expect(stream.getByRole("link", { name: /Cron cronrun on staging/ })).toHaveCount(1);
  await stream.getByLabel("Show cron runs").uncheck();

  await notice.getByRole("link", { name: "Open its log" }).click();
  await expect(page.getByText("The cron cronrun ended successfully in")).toBeVisible();
  await expect(page.getByText("cron", { exact: true }).first()).toBeVisible();

  // Pause crons: said with who and when; Resume crons brings the button back.
  await page.goto(`/projects/${projectId}/environments/staging`);
  await panel.getByRole("button", { name: "Pause crons" }).click();
  await expect(panel.getByTestId("crons-not-scheduled")).toHaveText(/^Crons paused by .+ at \d\d:\d\d UTC, [A-Z][a-z]{2} \d{1,2}: none starts on its schedule until Resume crons\.$/);
  await panel.getByRole("button", { name: "Resume crons" }).click();
  await expect(panel.getByRole("button", { name: "Pause crons" })).toBeVisible();

  // A cron that fails: committed on master, synced into staging, run three times.
  await commitInRepository(
    projectId,
    "master",
    (dir) => {
      const file = path.join(dir, ".magento.app.yaml");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/crons:\n/, `crons:\n  broken:\n    spec: "0 3 * * 1"\n    cmd: "echo the feed is down >&2; exit 3"\n`));
    },
    "A cron that fails",
  );
  await page.reload(); // (a commit made past the remote's hooks tells no open page)
  await page.getByRole("toolbar").getByRole("button", { name: "Sync", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sync" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toBeVisible({ timeout: 30_000 });
  await page.keyboard.press("Escape");
  await waitForIdle(page, projectId, "staging");
  await page.goto(`/projects/${projectId}/environments/staging`);
  const broken = panel.getByTestId("cron-broken");
  await expect(broken).toContainText("broken · at 03:00, only on Monday");
  for (let i = 1; i <= 3; i++) {
    await broken.getByRole("button", { name: "Run now" }).click();
    await expect(broken.getByTestId("activity-notice")).toContainText("Failed: Cron broken on staging", { timeout: 60_000 });
    if (i < 3) await expect(broken).toContainText(i === 1 ? "Failed once in a row." : "Failed 2 times in a row.");
  }
  await expect(page.getByTestId("cron-alerts")).toContainText("The cron broken failed 3 times in a row. See its runs in Crons");
  await expect(broken.getByTestId("cron-alert")).toContainText("The cron broken failed 3 times in a row. It shows here, in the tree and on the project page until a run succeeds.");
  await shoot(page, "crons", "1-failing");
  await page.goto(`/projects/${projectId}`);
  const badge = page.getByTestId("row-cron-alert");
  await expect(badge).toHaveText(/^Cron failing: The cron broken failed 3 times in a row,?$/); // (read out in full; shown as "Cron failing")
  await expect(badge).toHaveAttribute("title", "The cron broken failed 3 times in a row.");
  await shoot(page, "crons", "2-tree");
  await context.close();
});
