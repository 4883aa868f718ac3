import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/services-server";
import { commitInRepository } from "./support/git";
import { branchFrom, createProject, uniqueSuffix, waitForIdle } from "./support/pages";

test("the topology shows the app and its services; a changed services.yaml says 'redeploy to apply' until the deploy adds the service", async ({ browser, servicesServer }) => {
  test.setTimeout(120_000);
  const projectId = `topo-${uniqueSuffix()}`;
  const context = await browser.newContext({ baseURL: servicesServer.url, storageState: servicesServer.adminState });
  const page = await context.newPage();
  await createProject(page, "Topology store", "Starter", projectId);
  await waitForIdle(page, projectId, "staging");
  await branchFrom(page, projectId, "staging", "topo");

  // The project's hierarchy graph: Production ← Staging ← topo; a node opens its environment.
  await page.goto(`/projects/${projectId}`);
  await page.getByRole("button", { name: "Hierarchy graph" }).click(); // beside the tree, remembered
  const hierarchy = page.getByRole("figure", { name: "Environment hierarchy graph" });
  for (const id of ["master", "staging", "topo"]) await expect(hierarchy.getByLabel(new RegExp(`\\(${id}\\), `))).toBeVisible();
  // A node's menu: the same allowed/reason rules as the environment's buttons.
  await hierarchy.getByRole("button", { name: "Actions for master" }).click();
  const masterMenu = page.getByRole("region", { name: "Actions for master" });
  await expect(masterMenu).toContainText("Merge");
  await expect(masterMenu.locator("[aria-disabled=true]", { hasText: "Merge" })).toBeVisible();
  // Keyboard: Tab from a node to its ⋯ button; Enter shows its menu.
  await hierarchy.getByLabel(/\(topo\), /).focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  const menu = page.getByRole("region", { name: "Actions for topo" });
  await menu.getByRole("link", { name: "Branch…" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/topo\\?action=branch$`));
  await expect(page.getByRole("dialog", { name: /^Branch from/ })).toBeVisible();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  await page.getByRole("link", { name: /^Topology: router/ }).click();
  const graph = page.getByRole("figure", { name: "Topology graph" });
  await expect(graph.getByTestId("graph-node-app")).toContainText("mymagento");
  for (const service of ["mysql", "redis", "opensearch"]) await expect(graph.getByTestId(`graph-node-service:${service}`)).toContainText(service);
  await expect(graph.getByTestId("graph-edge-app->service:mysql:database")).toBeVisible(); // labelled with the relationship
  await expect(graph.getByText("Fastly")).toHaveCount(0); // Integration runs without Fastly
  await graph.getByTestId("graph-node-app").click();
  const panel = page.getByRole("complementary", { name: "Selected node" });
  // The file's own lines, numbered, not a re-serialization.
  await expect(panel).toContainText(/\.magento\.app\.yaml, lines 1–\d+/);
  await expect(panel.getByLabel(".magento.app.yaml from line 1")).toContainText("name: mymagento");
  await expect(panel).toContainText(/Disk used: \d+(\.\d)? (B|KiB) of 5120 MB/);
  await expect(panel).toContainText("Last deploy: build");
  await expect(panel).toContainText("database → mysql");
  await graph.getByTestId("graph-node-service:mysql").click();
  await expect(panel).toContainText(/Disk used: \d+(\.\d)? (B|KiB|MiB) of 2048 MB/); // what the running MariaDB wrote
  await expect(panel).toContainText("mymagento uses it as database");
  await expect(panel).toContainText(/\.magento\/services\.yaml, lines \d+–\d+/);
  await expect(panel.getByLabel(/^\.magento\/services\.yaml from line \d+$/)).toContainText("mysql:");
  await expect(page.getByText("Configuration changed — redeploy to apply.")).toHaveCount(0);

  // A commit adds a service on the branch: the deployed graph is unchanged, and says a redeploy would change it.
  await commitInRepository(
    projectId,
    "topo",
    (dir) => {
      const file = path.join(dir, ".magento", "services.yaml");
      fs.writeFileSync(file, `${fs.readFileSync(file, "utf8")}\nvarnish:\n  type: varnish:7.1\n`);
      // A slower deploy, so the hierarchy graph can be seen pulsing while it runs.
      const app = path.join(dir, ".magento.app.yaml");
      fs.writeFileSync(app, fs.readFileSync(app, "utf8").replace("  post_deploy: |\n", "  post_deploy: |\n    sleep 4\n"));
    },
    "Add Varnish",
    servicesServer.dataDir,
  );
  await page.reload();
  await expect(page.getByText("Configuration changed — redeploy to apply.")).toBeVisible();
  await expect(graph.getByTestId("graph-node-service:varnish")).toHaveCount(0);

  // Deploying the branch head (Sync deploys it) draws the new service and drops the badge.
  await page.goto(`/projects/${projectId}/environments/topo`);
  await page.getByRole("button", { name: "Sync" }).click();
  // (Its parent has nothing new, so code alone would be refused: Data syncs and deploys the branch head.)
  await page.getByRole("dialog").getByRole("checkbox", { name: /^Data:/ }).check();
  await page.getByRole("dialog").getByRole("button", { name: "Sync" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toBeVisible();
  // The hierarchy graph (still shown: the choice is remembered) pulses while it runs and stops
  // when it ends, without a reload.
  await page.goto(`/projects/${projectId}`);
  await expect(hierarchy.getByLabel(/\(topo\), (Running|Pending): Sync/)).toBeVisible();
  await expect(hierarchy.getByLabel(/\(topo\), (Running|Pending): Sync/).locator(".animate-pulse")).toBeVisible();
  await expect(hierarchy.getByLabel(/\(topo\), active$/)).toBeVisible({ timeout: 30_000 });
  // Enter on a node (as a click) opens the environment.
  await hierarchy.getByLabel(/\(topo\), active$/).focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/topo$`));
  await waitForIdle(page, projectId, "topo");
  await page.goto(`/projects/${projectId}/environments/topo/topology`);
  await expect(graph.getByTestId("graph-node-service:varnish")).toContainText("varnish 7.1");
  await expect(page.getByText("Configuration changed — redeploy to apply.")).toHaveCount(0);
  await context.close();
});
