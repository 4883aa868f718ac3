import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./support/services-server";
import { newDeployedProject } from "./support/pages";

/**
 * The topology's service nodes say what each service of services.yaml is doing, in words: a new
 * project's MariaDB, Redis and RabbitMQ run (what runs them, their memory, their disk used of its
 * size), OpenSearch does not run here (the sentence why), and a Pause made in another tab
 * reaches the open topology without a reload. The environment page says the same. Photographed
 * at a desktop's and a phone's width, light and dark (test-results/service-states/), to be looked at.
 */
const SHOTS = path.join("test-results", "service-states");

test.use({ templateServices: "mysql,redis,opensearch,rabbitmq" });

async function shoot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0)); // (a full page taken further down draws the sticky header midway)
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${colorScheme}.png`), animations: "disabled", fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/**
 * Both widths, each loaded afresh (a graph is fitted to its frame once) and photographed light
 * and dark, a topology with its MariaDB node selected and its table open; the desktop's width stays.
 */
async function shootBoth(page: Page, name: string) {
  for (const viewport of [
    { width: 390, height: 844, name: "phone" },
    { width: 1440, height: 900, name: "desktop" },
  ]) {
    await page.setViewportSize(viewport);
    await page.reload();
    if (await page.getByRole("figure", { name: "Topology graph" }).count()) {
      await page.getByTestId("graph-node-service:mysql").click();
      await expect(page.getByRole("complementary", { name: "Selected node" })).toContainText("mysql");
      await page.getByText("Table view").click();
      await expect(page.getByRole("table")).toBeVisible();
    }
    await shoot(page, `${viewport.name}-${name}`);
  }
}

test("the topology's service nodes say Running with what runs them (RabbitMQ too), memory and disk, that OpenSearch does not run here, and Stopped after a Pause, live", async ({ browser, servicesServer }) => {
  test.setTimeout(240_000);
  const { projectId, context, page } = await newDeployedProject(browser, "svcstate", "Service states", servicesServer);
  await page.setViewportSize({ width: 1440, height: 900 });
  // Whether the page hears the project's event stream (a Pause must not happen before it listens).
  await page.addInitScript(() => window.addEventListener("pwi:project-stream", (e) => ((window as unknown as { streamLive: boolean }).streamLive = (e as CustomEvent<{ live: boolean }>).detail.live)));
  await page.goto(`/projects/${projectId}/environments/staging/topology`);
  const graph = page.getByRole("figure", { name: "Topology graph" });
  const node = (id: string) => graph.getByTestId(`graph-node-service:${id}`);
  const state = (id: string) => node(id).getByTestId("node-runtime");

  await expect(state("mysql")).toHaveText("Running");
  await expect(node("mysql")).toContainText(/MariaDB \d+\.\d+ · \d+(\.\d)? MiB memory/); // what runs it, and its memory
  await expect(node("mysql")).toContainText(/disk \d+(\.\d)? (B|KiB|MiB) of 2048 MB/); // what the running MariaDB wrote, of its disk
  await expect(state("redis")).toHaveText("Running");
  await expect(node("redis")).toContainText(/Redis \d+\.\d+/);
  await expect(node("redis")).toContainText("no disk");
  await expect(state("rabbitmq")).toHaveText("Running");
  await expect(node("rabbitmq")).toContainText(/RabbitMQ \d+\.\d+ · \d+(\.\d)? MiB memory/);
  await expect(state("opensearch")).toHaveText("Does not run here");
  await expect(node("opensearch")).toContainText(/disk \d+(\.\d)? (B|KiB) of 1024 MB/);
  await expect(graph.getByRole("link", { name: "Service mysql: its log (service-mysql)" })).toHaveAttribute("href", `/projects/${projectId}/environments/staging/logs?log=service-mysql`);
  await expect(graph.getByRole("link", { name: /^Service opensearch/ })).toHaveCount(0); // no engine, no log

  // The details say why it does not run here, and what runs MariaDB (with the version asked for, when it differs).
  const panel = page.getByRole("complementary", { name: "Selected node" });
  await node("opensearch").click();
  await expect(panel).toContainText("Does not run here");
  await expect(panel).toContainText("OpenSearch does not run on this host: the service is shown but not started, and relationships leave it out.");
  await node("mysql").click();
  await expect(panel.getByTestId("selected-runtime")).toContainText(/^Running · MariaDB (\d+\.\d+) · \d+(\.\d)? MiB memory · no restarts · service-mysql\.log →$/);
  const runs = /MariaDB (\d+\.\d+)/.exec((await panel.getByTestId("selected-runtime").textContent())!)![1]!;
  if (runs !== "10.6") await expect(panel).toContainText(`mysql:10.6 requested; this host runs MariaDB ${runs}`);
  await shootBoth(page, "1-running");

  // The environment page says the same for each service.
  const other = await context.newPage();
  await other.goto(`/projects/${projectId}/environments/staging`);
  const services = other.getByRole("region", { name: "Services" });
  await expect(services.getByTestId("service-mysql")).toContainText(new RegExp(`mysql Running\\s·\\sMariaDB ${runs.replace(".", "\\.")}\\s·\\s\\d+(\\.\\d)? MiB memory\\s·\\sdisk \\d+(\\.\\d)? (B|KiB|MiB) of 2048 MB`));
  await expect(services.getByTestId("service-redis")).toContainText("redis Running");
  await expect(services.getByTestId("service-rabbitmq")).toContainText(/rabbitmq Running\s·\sRabbitMQ \d+\.\d+/);
  await expect(services.getByTestId("service-opensearch")).toContainText("opensearch Does not run here");
  await expect(services.getByTestId("service-opensearch")).toContainText("OpenSearch does not run on this host");
  await shootBoth(other, "2-environment");

  // Pause from the environment page in the other tab: the open topology says so without a reload.
  await page.waitForFunction(() => (window as unknown as { streamLive?: boolean }).streamLive === true);
  await page.evaluate(() => ((window as unknown as { stayedOpen: boolean }).stayedOpen = true));
  await other.getByRole("toolbar").getByRole("button", { name: "Pause", exact: true }).click();
  await other.getByRole("button", { name: "Pause staging", exact: true }).click();
  await expect(state("mysql")).toHaveText("Stopped (paused)", { timeout: 60_000 });
  await expect(state("redis")).toHaveText("Stopped (paused)");
  await expect(state("rabbitmq")).toHaveText("Stopped (paused)");
  await expect(state("opensearch")).toHaveText("Does not run here");
  await expect(node("mysql")).not.toContainText("memory"); // nothing runs
  expect(await page.evaluate(() => (window as unknown as { stayedOpen?: boolean }).stayedOpen)).toBe(true);
  await expect(other.getByRole("region", { name: "Services" }).getByTestId("service-mysql")).toContainText("mysql Stopped (paused)");
  await node("mysql").click();
  await expect(panel).toContainText("Its data is kept; Resume starts it again before the application.");
  await shootBoth(page, "3-paused");
  await context.close();
});
