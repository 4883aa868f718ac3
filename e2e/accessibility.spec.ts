import path from "node:path";
import { expect, test, type Browser, type Page } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { newProProjectWithPushedBranches } from "./support/pro-project";

const AXE = path.join(process.cwd(), "node_modules/axe-core/axe.min.js");

type Violation = { id: string; impact: string | null; help: string; nodes: { target: unknown[]; html: string; failureSummary?: string }[] };

/** axe-core's serious and critical violations on the page as it is now, one line per element. */
async function seriousViolations(page: Page, where: string): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${where}: ${v.impact} ${v.id} (${v.help}) at ${JSON.stringify(n.target)} ${n.html.slice(0, 200)}: ${(n.failureSummary ?? "").replace(/\s+/g, " ")}`));
}

type ConsolePage = { name: string; path: string; signedOut?: boolean; graph?: boolean; ready?: (page: Page) => Promise<void> };

/** Each of `pages` in light and dark, signed out or in as the administrator: axe-core's serious and critical violations. */
async function violationsOf(browser: Browser, pages: ConsolePage[]): Promise<string[]> {
  // The script axe-core is injected as is inline: the page's Content-Security-Policy would refuse it.
  const signedOut = await browser.newContext({ bypassCSP: true });
  const signedIn = await browser.newContext({ bypassCSP: true, storageState: ADMIN_STATE });
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    for (const context of [signedOut, signedIn]) {
      const page = await context.newPage();
      await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
      for (const p of pages) {
        if (Boolean(p.signedOut) !== (context === signedOut)) continue;
        await page.addInitScript((graph) => localStorage.setItem("pwi.hierarchyGraph", graph ? "1" : "0"), Boolean(p.graph));
        await page.goto(p.path);
        await expect(page.locator("h1").first()).toBeVisible();
        await p.ready?.(page);
        found.push(...(await seriousViolations(page, `${p.name} (${colorScheme})`)));
      }
      await page.close();
    }
  }
  await signedOut.close();
  await signedIn.close();
  console.log(found.join("\n"));
  return found;
}

// Every page of the console, in two tests that may run at once, one on each worker.
test.describe.configure({ mode: "parallel" });

test("the pages outside a project pass axe-core with no serious or critical violation, in light and dark", async ({ browser }) => {
  test.setTimeout(180_000);
  const pages: ConsolePage[] = [
    { name: "sign-in", path: "/sign-in", signedOut: true },
    { name: "projects", path: "/projects" },
    { name: "new project", path: "/projects/new" },
    { name: "account", path: "/account" },
    { name: "admin users", path: "/admin/users" },
    { name: "404", path: "/no-such-page" },
  ];
  expect(await violationsOf(browser, pages)).toEqual([]);
});

test("every page of a project passes axe-core with no serious or critical violation, in light and dark", async ({ browser }) => {
  test.setTimeout(420_000);
  const { projectId, context: setup, page: setupPage } = await newProProjectWithPushedBranches(browser, "a11y", "Accessible store", ["feature-a"]);
  await setupPage.goto(`/projects/${projectId}/environments/integration`);
  const activityHref = (await setupPage.locator("a[href*='/activities/']").first().getAttribute("href"))!;
  await setup.close();

  const env = `/projects/${projectId}/environments`;
  const pages: ConsolePage[] = [
    { name: "project (tree)", path: `/projects/${projectId}` },
    {
      name: "project (graph)",
      path: `/projects/${projectId}`,
      graph: true,
      ready: (page) => expect(page.getByRole("figure", { name: "Environment hierarchy graph" }).locator(".react-flow__node").first()).toBeVisible(),
    },
    { name: "project settings", path: `/projects/${projectId}/settings` },
    { name: "access", path: `/projects/${projectId}/access` },
    { name: "environment (active)", path: `${env}/integration` },
    { name: "environment (inactive)", path: `${env}/feature-a` },
    { name: "environment settings", path: `${env}/integration/settings` },
    { name: "topology", path: `${env}/integration/topology`, ready: (page) => expect(page.locator("[data-graph-node]").first()).toBeVisible() },
    { name: "logs", path: `${env}/integration/logs?log=deploy` },
    { name: "mailbox", path: `${env}/integration/mailbox` },
    { name: "activity log", path: activityHref, ready: (page) => expect(page.getByRole("log", { name: "Activity log" })).toBeVisible() },
  ];
  expect(await violationsOf(browser, pages)).toEqual([]);
});
