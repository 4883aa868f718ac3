import fs from "node:fs";
import { expect, test } from "./support/services-server";
import { newDeployedProject } from "./support/pages";

test("an admin downloads the environment's MariaDB as a dump from its page", async ({ browser, servicesServer }) => {
  test.setTimeout(120_000);
  const { projectId, context, page } = await newDeployedProject(browser, "dbdl", "Database download", servicesServer);
  // A visit: the site counts it in its MariaDB (making its table).
  expect((await page.request.get(`http://localhost:${servicesServer.envPort}/${projectId}/staging/`)).status()).toBe(200);
  await page.goto(`/projects/${projectId}/environments/staging`);
  const control = page.getByRole("region", { name: "Download database" });
  // The template's MariaDB relationship; its Redis cache has no database to dump.
  await expect(control).toContainText("MariaDB, service mysql");
  await expect(control).not.toContainText("redis");
  const link = control.getByRole("link", { name: "database.sql", exact: true });
  await expect(link).toHaveAttribute("href", `/api/projects/${projectId}/environments/staging/databases/database`);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${projectId}-staging-database-\\d{8}T\\d{6}Z\\.sql$`));
  const text = fs.readFileSync((await download.path())!, "utf8");
  // (MariaDB 10.11.8 and later begin with a line that turns on the client's sandbox mode.)
  expect(text).toMatch(/^(?:\/\*M!999999\\- enable the sandbox mode \*\/ ?\n)?-- MariaDB dump /);
  expect(text).toContain("CREATE TABLE `visits`");
  expect(text).toMatch(/-- Dump completed on [^\n]+\n$/);
  await context.close();
});
