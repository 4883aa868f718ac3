import { expect, test, type Browser } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { newDeployedProject } from "./support/pages";

/**
 * JavaScript budgets: compressed bytes transferred on a cold load of the production build, as
 * served (Brotli, as Chromium takes it): 200 kB on every page, 150 kB on the project page.
 */
const GOAL = 200_000;
const BUDGET: Record<string, number> = { project: 150_000 };

async function scriptBytes(browser: Browser, path: string): Promise<number> {
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  const responses: Promise<number>[] = [];
  page.on("requestfinished", (request) => {
    if (request.resourceType() === "script") responses.push(request.sizes().then((s) => s.responseBodySize));
  });
  await page.goto(path);
  await page.waitForLoadState("networkidle");
  const total = (await Promise.all(responses)).reduce((a, b) => a + b, 0);
  await context.close();
  return total;
}

test("every page's JavaScript stays within its budget (200 kB; the project page 150 kB)", async ({ browser }) => {
  test.setTimeout(120_000);
  // Deployed, so that its topology page draws the graph (and loads the graph's code).
  const { projectId, context } = await newDeployedProject(browser, "budget", "Budget store");
  await context.close();
  const pages = {
    projects: "/projects",
    project: `/projects/${projectId}`,
    environment: `/projects/${projectId}/environments/staging`,
    topology: `/projects/${projectId}/environments/staging/topology`,
    settings: `/projects/${projectId}/settings`,
    "environment settings": `/projects/${projectId}/environments/staging/settings`,
    mailbox: `/projects/${projectId}/environments/staging/mailbox`,
    logs: `/projects/${projectId}/environments/staging/logs?log=deploy`,
    account: "/account",
  } as const;
  const sizes: Record<string, number> = {};
  for (const [name, path] of Object.entries(pages)) sizes[name] = await scriptBytes(browser, path);
  console.log(Object.entries(sizes).map(([name, bytes]) => `${name}: ${(bytes / 1000).toFixed(0)} kB`).join(", "));
  for (const [name, bytes] of Object.entries(sizes)) {
    const budget = BUDGET[name] ?? GOAL;
    expect(bytes, `${name} page: ${(bytes / 1000).toFixed(0)} kB of JavaScript, over its ${budget / 1000} kB budget`).toBeLessThanOrEqual(budget);
  }
});

test("the header menus' code loads when a menu is first wanted, and the menu opens by pointer and by keyboard", async ({ browser }) => {
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await page.goto("/projects");
  await page.waitForLoadState("networkidle");
  const loaded: string[] = [];
  page.on("requestfinished", (request) => {
    if (request.resourceType() === "script") loaded.push(request.url());
  });
  // A press opens it at once, although its code was not loaded yet.
  await page.getByRole("button", { name: /Switch project/ }).click();
  await expect(page.getByRole("menuitem", { name: "All projects" })).toBeVisible();
  expect(loaded.length, "the menu's code loads on first use").toBeGreaterThan(0);
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Switch project/ })).toBeFocused();
  // Enter on another menu's trigger opens it with the focus in the menu; arrows move through it.
  await page.getByRole("button", { name: /Account menu/ }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeVisible();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Projects" })).toBeFocused();
  await page.keyboard.press("Escape");
  await context.close();
});
