import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/services-server";
import { commitInRepository } from "./support/git";
import { branchFrom, newDeployedProject } from "./support/pages";

/**
 * The template's application, made to stop for good on demand: a visit to `?crash=1` writes
 * var/crash; post_start's watcher then stops the web sandbox, and pre_start refuses to start
 * while the file is there, so the supervisor's restarts end in a crash loop. A worker runs beside it.
 */
function crashOnDemand(dir: string) {
  const yaml = path.join(dir, ".magento.app.yaml");
  const app = fs.readFileSync(yaml, "utf8");
  fs.writeFileSync(
    yaml,
    app.replace(
      "web:\n  locations:\n",
      `web:
  commands:
    pre_start: |
      if [ -e /app/var/crash ]; then echo "var/crash is there: refusing to start" >&2; exit 1; fi
    post_start: |
      launcher=$PPID
      ( while [ ! -e /app/var/crash ]; do sleep 0.2; done; echo "var/crash appeared: stopping" >&2; kill -TERM "$launcher" ) </dev/null >/dev/null 2>&1 &
  locations:
`,
    ) +
      `
workers:
  queue:
    commands:
      start: |
        while true; do sleep 60; done
`,
  );
  const index = path.join(dir, "public", "index.php");
  fs.writeFileSync(index, fs.readFileSync(index, "utf8").replace("if ($path === '/health') {", "if (isset($_GET['crash'])) {\n    touch(__DIR__ . '/../var/crash');\n    echo \"crashing\\n\";\n    exit;\n}\nif ($path === '/health') {"));
}

test("the environment page and the topology say whether the site is up: Up with PHP, a crash loop (live, with its app log), a worker, Paused", async ({ browser, servicesServer }) => {
  test.setTimeout(240_000);
  const { projectId, context, page } = await newDeployedProject(browser, "run", "Runtime", servicesServer);

  // After the first deploy: up, run by PHP-FPM behind nginx, with its memory.
  await page.goto(`/projects/${projectId}/environments/staging`);
  const site = page.getByRole("region", { name: "Site" });
  await expect(site.getByTestId("site-state")).toHaveText("Site: Up");
  await expect(site).toContainText(/PHP \d+\.\d+\.\d+ \(PHP-FPM\) behind nginx/);
  await expect(site).toContainText(/\d+(\.\d)? MiB/);
  await expect(site).toContainText("no restarts");

  // A branch, synced with a commit that crashes on demand and runs a worker.
  await branchFrom(page, projectId, "staging", "crashy");
  await commitInRepository(projectId, "staging", crashOnDemand, "Crash on demand, and a queue worker", servicesServer.dataDir);
  await page.goto(`/projects/${projectId}/environments/crashy`);
  await page.getByRole("button", { name: "Sync", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sync" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await page.keyboard.press("Escape");
  await expect(site.getByTestId("site-state")).toHaveText("Site: Up");
  await expect(site.getByRole("list", { name: "Workers" }).getByTestId("worker-queue")).toContainText("queue running");

  // The page stays open: the application's exits reach it by the project's event stream.
  const crash = await page.request.get(`http://localhost:${servicesServer.envPort}/${projectId}/crashy/?crash=1`);
  expect(await crash.text()).toBe("crashing\n");
  await expect(site.getByTestId("site-state")).toHaveText("Site: Crash loop", { timeout: 30_000 });
  await expect(site).toHaveAttribute("data-tone", "danger");
  await expect(site).toContainText("The application keeps exiting within seconds of starting");
  await expect(site.getByRole("link", { name: "Open app.log →" })).toHaveAttribute("href", `/projects/${projectId}/environments/crashy/logs?log=app`);
  await expect(site.getByTestId("worker-queue")).toContainText("queue running"); // its worker is not the site

  // The topology: the application's node says so and links its log; the worker is a node beside it.
  await page.goto(`/projects/${projectId}/environments/crashy/topology`);
  const graph = page.getByRole("figure", { name: "Topology graph" });
  await expect(graph.getByTestId("graph-node-app").getByTestId("node-runtime")).toHaveText("crash loop");
  await expect(graph.getByRole("link", { name: "Application mymagento: its log (app)" })).toHaveAttribute("href", `/projects/${projectId}/environments/crashy/logs?log=app`);
  await expect(graph.getByTestId("graph-node-worker:queue")).toContainText("queue");
  await expect(graph.getByTestId("graph-node-worker:queue").getByTestId("node-runtime")).toHaveText("running");
  await expect(graph.getByTestId("graph-edge-worker:queue->service:mysql:database")).toBeVisible(); // the application's relationships
  await expect(page.locator('[data-testid^="graph-edge-router->worker"]')).toHaveCount(0); // no route reaches a worker

  // Paused: nothing runs, and both pages say why.
  await page.goto(`/projects/${projectId}/environments/crashy/settings`);
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await page.getByRole("button", { name: "Pause crashy", exact: true }).click(); // it asks once, saying what happens
  await expect(page.getByRole("region", { name: "Pause" }).getByTestId("activity-notice")).toContainText("Completed: Pause crashy", { timeout: 60_000 });
  await page.goto(`/projects/${projectId}/environments/crashy`);
  await expect(site.getByTestId("site-state")).toHaveText("Site: Paused");
  await expect(site).toContainText("the router answers 503 until Resume");
  await page.goto(`/projects/${projectId}/environments/crashy/topology`);
  await expect(graph.getByTestId("graph-node-app").getByTestId("node-runtime")).toHaveText("paused");
  await expect(graph.getByTestId("graph-node-worker:queue").getByTestId("node-runtime")).toHaveText("paused");
  await context.close();
});
