import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/services-server";
import { createProject, expectLogLine, uniqueSuffix, waitForIdle } from "./support/pages";

test("take a snapshot, watch it finish, restore it after the data changed, and see the site", async ({ browser, servicesServer }) => {
  test.setTimeout(150_000);
  const projectId = `snap-${uniqueSuffix()}`;
  const context = await browser.newContext({ baseURL: servicesServer.url, storageState: servicesServer.adminState });
  const page = await context.newPage();
  await createProject(page, "Snapshot store", "Starter", projectId);
  await waitForIdle(page, projectId, "staging");
  const data = path.join(servicesServer.dataDir, "volumes", projectId, "staging", "current");
  fs.mkdirSync(path.join(data, "services", "mysql", "db"), { recursive: true });
  fs.writeFileSync(path.join(data, "services", "mysql", "db", "catalog.ibd"), Buffer.alloc(64 * 1024 * 1024, 1));

  await page.goto(`/projects/${projectId}/environments/staging`);
  const backups = page.getByRole("region", { name: "Backups" });
  await expect(backups).toContainText("No snapshots yet.");
  await backups.getByRole("button", { name: "Create snapshot" }).click();
  const dialog = page.getByRole("dialog", { name: "Snapshot staging" });
  await dialog.getByRole("button", { name: "Create snapshot" }).click();
  await expect(dialog.getByTestId("activity-notice")).toBeVisible();
  await dialog.getByRole("button", { name: "Close" }).click();
  // Progress shows while it runs (percent of the bytes archived), then the snapshot is complete.
  await expect(backups.getByText(/In progress \d+%|Complete/)).toBeVisible();
  await expect(backups.getByText("Complete")).toBeVisible({ timeout: 60_000 });
  await expect(backups).toContainText(/[\d.]+ MiB of data/);
  // The 64 MiB file, and the files of the environment's running MariaDB beside it.
  expect(Number(/([\d.]+) MiB of data/.exec((await backups.textContent()) ?? "")?.[1])).toBeGreaterThanOrEqual(64);

  // The data changes after the snapshot; Restore brings the snapshot's back and redeploys.
  fs.writeFileSync(path.join(data, "mounts", "var", "after-snapshot.txt"), "written after the snapshot");
  fs.writeFileSync(path.join(data, "services", "mysql", "db", "catalog.ibd"), "changed");
  // Into a new environment (the dialog's default): staging is not touched.
  await backups.getByRole("button", { name: "Restore" }).click();
  const intoNew = page.getByRole("dialog", { name: /^Restore the snapshot of / });
  await expect(intoNew.getByLabel("New environment's name")).toHaveValue("staging-restored");
  await intoNew.getByLabel("New environment's name").fill("staging");
  await intoNew.getByRole("button", { name: "Restore into a new environment" }).click();
  await expect(intoNew.getByText(/There is already an environment “staging”|already a git branch/)).toBeVisible();
  await intoNew.getByLabel("New environment's name").fill("before-change");
  await intoNew.getByRole("button", { name: "Restore into a new environment" }).click();
  await expect(intoNew.getByTestId("activity-notice")).toBeVisible();
  await page.keyboard.press("Escape");
  await waitForIdle(page, projectId, "before-change", 60_000);
  const restored = path.join(servicesServer.dataDir, "volumes", projectId, "before-change", "current");
  expect(fs.existsSync(path.join(restored, "mounts", "var", "after-snapshot.txt"))).toBe(false);
  expect(fs.existsSync(path.join(data, "mounts", "var", "after-snapshot.txt"))).toBe(true);
  await page.reload();

  // In place: replacing the data needs the environment's name typed; without it, nothing is queued.
  await backups.getByRole("button", { name: "Restore" }).click();
  const restore = page.getByRole("dialog", { name: /^Restore the snapshot of / });
  await restore.getByLabel("staging itself (its data is replaced)").check();
  await restore.getByRole("button", { name: "Restore and replace the data" }).click();
  await expect(restore.getByText("Type “staging” to confirm")).toBeVisible();
  await expect(restore.getByTestId("activity-notice")).toHaveCount(0);
  await restore.getByLabel("Type staging to replace its data").fill("staging");
  await restore.getByRole("button", { name: "Restore and replace the data" }).click();
  await restore.getByRole("link", { name: "Open its log" }).click();
  await expect(page.getByText("Complete log")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText("Success", { exact: true })).toBeVisible();
  await expectLogLine(page, "Every checksum matched");
  expect(fs.existsSync(path.join(data, "mounts", "var", "after-snapshot.txt"))).toBe(false);
  expect(fs.statSync(path.join(data, "services", "mysql", "db", "catalog.ibd")).size).toBe(64 * 1024 * 1024);

  // The environment's site, built from its deployed commit.
  await page.goto(`/projects/${projectId}/environments/staging`);
  const deployed = (await page.locator("dt", { hasText: "Deployed" }).first().locator("xpath=following-sibling::dd[1]").textContent())!.trim();
  await expect(page.getByRole("region", { name: "Data", exact: true })).toContainText("mysql");
  const site = await context.newPage();
  await site.goto(`http://staging.${projectId}.localhost:${servicesServer.envPort}/`);
  await expect(site.locator("body")).toContainText(deployed);
  await context.close();

  // A browser in another timezone and language renders the dates as the server did (in UTC), so
  // the pages that show them hydrate without error: the snapshots, the activity stream, a log.
  const abroad = await browser.newContext({ baseURL: servicesServer.url, storageState: servicesServer.adminState, timezoneId: "Pacific/Kiritimati", locale: "de-DE" });
  const away = await abroad.newPage();
  const errors: string[] = [];
  away.on("pageerror", (e) => errors.push(`${away.url()}: ${e.message}`));
  await away.goto(`/projects/${projectId}/environments/staging`);
  await expect(away.getByRole("region", { name: "Backups" }).getByRole("listitem").first()).toContainText("UTC");
  await expect(away.getByRole("list", { name: "Activities" }).first()).toContainText("UTC");
  await away.getByRole("list", { name: "Activities" }).first().getByRole("link").first().click();
  await expect(away.locator("time").first()).toContainText("UTC");
  await away.reload();
  await expect(away.locator("time").first()).toContainText("UTC");
  expect(errors).toEqual([]);
  await abroad.close();
});
