import { shoot } from "./support/shoot";
import { expect, test } from "./support/test";
import { newDeployedProject } from "./support/pages";

/**
 * A project's Settings hold its automated backups' schedules (Production's default in words), a
 * bad line is refused with its line and what to write, and a good one is saved. Photographed at
 * a desktop's and a phone's width, light and dark (test-results/backups/).
 * (The shared server takes no automated backups: SCHEDULED_BACKUPS=0; the scheduler has its own tests.)
 */
test("backup schedules in the project's Settings: the defaults in words, a bad line refused with its line, a good one saved; a backup downloads", async ({ browser }) => {
  test.setTimeout(120_000);
  const { projectId, context, page } = await newDeployedProject(browser, "sched", "Schedules");
  await page.goto(`/projects/${projectId}/settings`);
  const section = page.getByRole("region", { name: "Backups" });
  await expect(section).toContainText("Now: every hour, kept 24 hours; every day, kept 7 days.");
  await expect(section.getByLabel("Production: automated backups")).toHaveValue("1h 24\n1d 7");
  await section.getByLabel("Staging: automated backups").fill("6h 4\n0h 5");
  await section.getByRole("button", { name: "Save backup schedules" }).click();
  await expect(section).toContainText("Line 2 (“0h 5”): An interval is a whole number and a unit, from 1h to 1y");
  await section.getByLabel("Staging: automated backups").fill("6h 4");
  await section.getByLabel("Manual snapshots kept per environment").fill("5");
  await section.getByRole("button", { name: "Save backup schedules" }).click();
  await expect(section).toContainText("Saved.");
  await page.reload();
  await expect(section).toContainText("Now: every 6 hours, kept 24 hours.");
  await expect(section.getByLabel("Manual snapshots kept per environment")).toHaveValue("5");
  await shoot(page, "backups", "schedules", section);

  // A snapshot downloads as one tar of its manifest and data archive.
  await page.goto(`/projects/${projectId}/environments/staging`);
  const backups = page.getByRole("region", { name: "Backups" });
  await backups.getByRole("button", { name: "Create snapshot" }).click();
  const dialog = page.getByRole("dialog", { name: "Snapshot staging" });
  await dialog.getByRole("button", { name: "Create snapshot" }).click();
  await expect(dialog.getByTestId("activity-notice")).toBeVisible();
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(backups.getByText("Complete")).toBeVisible({ timeout: 60_000 });
  const href = await backups.getByRole("link", { name: "Download" }).first().getAttribute("href");
  const got = await page.request.get(href!);
  expect(got.headers()["content-disposition"]).toMatch(/\.backup\.tar"$/);
  const archive = await got.body();
  // A tar: its first member is the manifest.
  expect(archive.subarray(0, 13).toString()).toBe("manifest.json");
  await context.close();
});
