import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/services-server";
import { newDeployedProject } from "./support/pages";
import { AppLogFile } from "../lib/runtime/app-logs/log-file";

/** A writer of the log `name` of an environment of the server whose DATA_DIR is `dataDir`, as the runtime writes it (access lines carry their own time). */
function appLog(dataDir: string, projectId: string, environment: string, name: string): AppLogFile {
  return new AppLogFile(path.join(dataDir, "logs", projectId, environment, `${name}.log`), { timestamps: name !== "access" });
}

test("the template runs PHP, and the Logs tab follows its access.log live while the site is reloaded, shows the unwritten logs disabled, and downloads", async ({ browser, servicesServer }) => {
  test.setTimeout(120_000);
  const { projectId, context, page } = await newDeployedProject(browser, "applogs", "App logs", servicesServer);
  // Each on a connection of its own: one kept open since an earlier request can be closed by the
  // router (5 s keep-alive) just as it is used again, which Playwright's request does not retry.
  const site = (query: string) => page.request.get(`http://localhost:${servicesServer.envPort}/${projectId}/staging/${query}`, { headers: { connection: "close" } });

  // From the environment page to its Logs tab. Nothing visited the site yet: Access is empty, and disabled.
  await page.goto(`/projects/${projectId}/environments/staging`);
  await page.getByRole("link", { name: /^Logs:/ }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/staging/logs`));
  const logs = page.getByRole("navigation", { name: "Logs" });
  const accessButton = logs.getByRole("button", { name: "Access", exact: true });
  await expect(accessButton).toHaveAttribute("aria-disabled", "true");
  await expect(accessButton).toHaveAccessibleDescription("Empty until the application writes it.");
  // The deploy hooks' output, and the application's start, are there.
  await logs.getByRole("link", { name: "Deploy", exact: true }).click();
  await expect(page.getByRole("log", { name: "Deploy log" })).toContainText("Deploying mymagento to staging");
  await logs.getByRole("link", { name: "App", exact: true }).click();
  await expect(page).toHaveURL(/\/logs\?log=app$/);
  await expect(page.getByRole("log", { name: "App log" })).toContainText("Starting release");

  // The site is PHP's page: its version, and a visit counter that grows.
  const first = await (await site("")).text();
  expect(first).toMatch(/Rendered by PHP <strong id="php-version">\d+\.\d+\.\d+<\/strong>/);
  const visits = Number(/id="visits">(\d+)</.exec(first)![1]);
  expect(await (await site("")).text()).toContain(`id="visits">${visits + 1}<`);

  // Access now has lines; opened, it follows new requests without a reload.
  await page.reload();
  await logs.getByRole("link", { name: "Access", exact: true }).click();
  const log = page.getByRole("log", { name: "Access log" });
  await expect(log).toContainText(" GET / 200 ");
  await expect(page.getByRole("status").filter({ hasText: /^Live/ })).toBeVisible();
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  for (const n of [1, 2, 3]) {
    expect((await site(`?reload=${n}`)).status()).toBe(200);
    await expect(log).toContainText(`GET /?reload=${n} 200`, { timeout: 10_000 });
  }
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  const app = appLog(servicesServer.dataDir, projectId, "staging", "app");
  app.line("Order 42 paid");
  await app.flush();

  // A worker's log appears in the list once it is written (on the next load).
  const worker = appLog(servicesServer.dataDir, projectId, "staging", "worker-queue");
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
  expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z Starting release /);
  expect(text).toMatch(/Z Order 42 paid\n/);

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
  expect(((await bad.json()) as { error: string }).error).toContain("A log is access, error, app, deploy, post-deploy, cron, worker-<name>");
  await app.close();
  await context.close();
});
