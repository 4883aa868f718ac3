import { expect, test } from "./support/test";
import { newDeployedProject } from "./support/pages";

test("every kind of page works under the script CSP, and the environment router's origin cannot frame the dashboard", async ({ browser }) => {
  test.setTimeout(120_000);
  const { projectId, context, page } = await newDeployedProject(browser, "csp", "CSP Shop");
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => violations.push(`${page.url()}: ${e.message}`));

  await page.goto(`/projects/${projectId}`);
  await expect(page.getByRole("link", { name: /\(staging\)/ })).toBeVisible();
  await page.goto(`/projects/${projectId}/environments/staging`);
  await page.getByRole("button", { name: "Branch" }).click(); // a dialog (Radix)
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await page.locator("a[href*='/activities/']").first().click(); // the log viewer
  await expect(page.getByText("Activity completed successfully.")).toBeVisible();
  await page.goto(`/projects/${projectId}/environments/staging/topology`); // the graph (laid out on the server, drawn by the page)
  await expect(page.locator("[data-graph-node]").first()).toBeVisible();
  for (const path of [`/projects/${projectId}/access`, `/projects/${projectId}/settings`, "/account", "/admin/users", "/projects"]) {
    await page.goto(path);
    await expect(page.locator("main h1").first()).toBeVisible();
  }
  // Hydrated, so scripts ran: the account menu opens.
  await page.getByRole("button", { name: /Account menu/ }).click();
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeVisible();
  expect(violations).toEqual([]);

  // A page served by the environment router (the origin an environment's own code runs on) frames the dashboard: refused.
  const site = await context.newPage();
  await site.goto(`http://staging.${projectId}.localhost:${process.env.E2E_ENV_PORT}/`);
  const refused: string[] = [];
  site.on("console", (m) => refused.push(m.text()));
  await site.evaluate((src) => {
    const frame = document.createElement("iframe");
    frame.src = src;
    document.body.append(frame);
  }, `${new URL(page.url()).origin}/projects/${projectId}/settings`);
  await expect.poll(() => refused.some((t) => /frame-ancestors|X-Frame-Options|Refused to (display|frame)/i.test(t)) || site.frames().some((f) => f.url() === "chrome-error://chromewebdata/")).toBe(true);
  await context.close();
});
