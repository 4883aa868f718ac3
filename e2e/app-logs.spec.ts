import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { createProject, uniqueSuffix } from "./support/pages";
import { AppLogFile } from "../lib/runtime/app-logs/log-file";

/** A writer of the shared server's log `name` of an environment, as the runtime writes it (access lines carry their own time). */
function appLog(projectId: string, environment: string, name: string): AppLogFile {
  const dataDir = process.env.E2E_DATA_DIR;
  if (!dataDir) throw new Error("E2E_DATA_DIR is not set: run through the Playwright global setup.");
  return new AppLogFile(path.join(dataDir, "logs", projectId, environment, `${name}.log`), { timestamps: name !== "access" });
}

test("the Logs tab follows an application log live, switches logs, shows the unwritten ones disabled, and downloads", async ({ browser }) => {
  test.setTimeout(120_000);
  const projectId = `applogs-${uniqueSuffix()}`;
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await createProject(page, "App logs", "Starter", projectId);

  const access = appLog(projectId, "staging", "access");
  const app = appLog(projectId, "staging", "app");
  access.line("2026-12-06T07:40:00.123Z GET /checkout/cart 200 42ms 5120 203.0.113.7");
  app.line("Booting the storefront");
  app.line("PHP Warning: Undefined index: sku", "stderr");
  await access.flush();
  await app.flush();

  // From the environment page to its Logs tab; the first log written (Access) is open.
  await page.goto(`/projects/${projectId}/environments/staging`);
  await page.getByRole("link", { name: /^Logs:/ }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/staging/logs$`));
  const logs = page.getByRole("navigation", { name: "Logs" });
  await expect(logs.getByRole("link", { name: "Access", exact: true })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("log", { name: "Access log" })).toContainText("GET /checkout/cart 200 42ms");
  // The logs not written yet are shown, disabled, with the reason.
  for (const name of ["Error", "Deploy", "Post-deploy"]) {
    const button = logs.getByRole("button", { name, exact: true });
    await expect(button).toHaveAttribute("aria-disabled", "true");
    await expect(button).toHaveAccessibleDescription("Empty until the application writes it.");
  }

  // Switch to App: its lines, the time read from each, a stderr line marked.
  await logs.getByRole("link", { name: "App", exact: true }).click();
  await expect(page).toHaveURL(/\/logs\?log=app$/);
  const log = page.getByRole("log", { name: "App log" });
  await expect(log).toContainText("Booting the storefront");
  await expect(log.locator("[id^=L]", { hasText: "PHP Warning: Undefined index: sku" })).toHaveClass(/text-\[#f97066\]/);
  await expect(page.getByRole("status").filter({ hasText: /^Live/ })).toBeVisible();

  // A line written now appears without a reload.
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  app.line("Order 42 paid");
  await app.flush();
  await expect(log).toContainText("Order 42 paid", { timeout: 10_000 });
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);

  // A worker's log appears in the list once it is written (on the next load).
  const worker = appLog(projectId, "staging", "worker-queue");
  worker.line("consumer started");
  await worker.close();
  await page.reload();
  await logs.getByRole("link", { name: "Worker queue" }).click();
  await expect(page.getByRole("log", { name: "Worker queue log" })).toContainText("consumer started");

  // Download: the whole current file of the log shown, named after project, environment and log.
  await logs.getByRole("link", { name: "App", exact: true }).click();
  await expect(page.getByRole("log", { name: "App log" })).toContainText("Order 42 paid");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("toolbar", { name: "Log tools" }).getByRole("link", { name: "Download" }).click()]);
  expect(download.suggestedFilename()).toBe(`${projectId}-staging-app.log`);
  const text = fs.readFileSync((await download.path())!, "utf8");
  expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z Booting the storefront\n/);
  expect(text).toContain(" [stderr] PHP Warning: Undefined index: sku\n");
  expect(text).toMatch(/Z Order 42 paid\n$/);

  // A follow of a quiet log answers at once (its headers do not wait for a line), and ends when its client goes.
  const status = await page.evaluate(async (url) => {
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    controller.abort();
    return res.status;
  }, `/api/projects/${projectId}/environments/staging/logs/access?follow=1&lines=0`);
  expect(status).toBe(200);

  // The API refuses a name that is not a log's with a sentence.
  const bad = await page.request.get(`/api/projects/${projectId}/environments/staging/logs/..%2F..%2Fauth-secret`);
  expect(bad.status()).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toContain("A log is access, error, app, deploy, post-deploy or worker-<name>");
  await access.close();
  await app.close();
  await context.close();
});
