import { expect, test, type Page } from "./support/test";
import { newDeployedProject, waitForIdle } from "./support/pages";

/** A save answers once its activity is committed: under the whole suite's load that can take seconds. */
const AFTER_SAVE = { timeout: 30_000 };

/**
 * A request to the environment router on a connection of its own: one kept open since an earlier
 * request can be closed by the router (5 s keep-alive) just as it is used again, which Playwright's
 * request does not retry (a browser does).
 */
const OWN_CONNECTION = { headers: { connection: "close" } };

/** The greeting the template's deploy hook writes into the environment's page from env:GREETING. */
async function siteGreeting(page: Page, projectId: string, env: string): Promise<string> {
  const res = await page.request.get(`http://localhost:${process.env.E2E_ENV_PORT}/${projectId}/${env}/`, OWN_CONNECTION);
  return /<strong id="greeting">([^<]*)<\/strong>/.exec(await res.text())?.[1] ?? "";
}

test("a project variable and an environment override: labels, activities, a write-only sensitive value, 'redeploy to apply' in the tree, the page and the topology, the value in the site", async ({ browser }) => {
  test.setTimeout(180_000);
  const { projectId, context, page } = await newDeployedProject(browser, "vars", "Variables");
  await waitForIdle(page, projectId, "master");
  expect(await siteGreeting(page, projectId, "staging")).toBe("Hello");

  // A project variable is recorded and redeploys nothing.
  await page.goto(`/projects/${projectId}/settings`);
  const projectSection = page.getByRole("region", { name: "Project variables" });
  await projectSection.getByLabel("Name").fill("env:GREETING");
  await projectSection.getByLabel("Value").fill("hello-project");
  await projectSection.getByRole("button", { name: "Add variable" }).click();
  await expect(projectSection.getByRole("list", { name: "Project variables" })).toContainText("hello-project", AFTER_SAVE);
  await expect(projectSection.getByText("Saved. No environment was redeployed")).toBeVisible();
  // Bad input: a name with a space is refused and what was typed stays.
  await projectSection.getByLabel("Name").fill("HAS SPACE");
  await projectSection.getByLabel("Value").fill("kept");
  await projectSection.getByRole("button", { name: "Add variable" }).click();
  await expect(projectSection.getByText("A name has no spaces, control or invisible characters")).toBeVisible(AFTER_SAVE);
  await expect(projectSection.getByLabel("Value")).toHaveValue("kept");

  // Every active environment says so: in the tree, on its page, on its topology.
  await page.goto(`/projects/${projectId}`);
  await expect(page.getByRole("link", { name: /^Production \(master\).*Variables changed: redeploy to apply/ })).toBeVisible();
  await expect(page.getByRole("link", { name: /^Staging \(staging\).*Variables changed: redeploy to apply/ })).toBeVisible();
  await page.goto(`/projects/${projectId}/environments/master/topology`);
  await expect(page.getByText("Variables changed — redeploy to apply.")).toBeVisible();
  await expect(page.getByRole("button", { name: /^Application .*variables changed since the deploy/ }).first()).toBeVisible();

  // An environment variable redeploys that environment; the badge goes when it is done, without a reload.
  await page.goto(`/projects/${projectId}/environments/staging`);
  await expect(page.getByTestId("variables-changed")).toHaveText("Variables changed — redeploy to apply");
  const envSection = page.getByRole("region", { name: "Variables" });
  await envSection.getByLabel("Name").fill("env:GREETING");
  await envSection.getByLabel("Value").fill("hello-staging");
  await envSection.getByRole("button", { name: "Add variable" }).click();
  const notice = envSection.getByTestId("activity-notice");
  await expect(notice).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await expect(notice).toContainText("Completed: Add variable env:GREETING to staging");
  await expect(page.getByTestId("variables-changed")).toHaveCount(0);
  expect(await siteGreeting(page, projectId, "staging")).toBe("hello-staging");
  const list = envSection.getByRole("list", { name: "Variables of staging" });
  await expect(list.getByRole("listitem").filter({ hasText: "hello-staging" })).toContainText("Set here");
  await expect(list.getByRole("listitem").filter({ hasText: "hello-project" })).toContainText("Inactive: staging sets it");

  // A sensitive value: write-only, never in the page.
  await envSection.getByLabel("Name").fill("env:TOKEN");
  await envSection.getByLabel("Value").fill("super-secret-token-value");
  await envSection.getByLabel("Sensitive (write-only)").check();
  await envSection.getByRole("button", { name: "Add variable" }).click();
  await expect(list.getByRole("listitem").filter({ hasText: "env:TOKEN" })).toContainText("•••• (sensitive)", AFTER_SAVE);
  expect(await page.content()).not.toContain("super-secret-token-value");
  await expect(envSection.getByTestId("activity-notice")).toContainText("Completed: Add variable env:TOKEN to staging", { timeout: 60_000 });

  // Edit: disabling staging's own definition brings the project's back, in the list and in the site.
  await list.getByRole("button", { name: "Edit env:GREETING" }).click();
  const edit = list.getByRole("form", { name: "Edit env:GREETING" });
  await expect(edit.getByLabel("Value")).toHaveValue("hello-staging");
  await edit.getByLabel("Enabled").uncheck();
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(list.getByRole("listitem").filter({ hasText: "hello-staging" })).toContainText("Disabled", AFTER_SAVE);
  await expect(list.getByRole("listitem").filter({ hasText: "hello-project" })).toContainText("Project");
  await expect(envSection.getByTestId("activity-notice")).toContainText("Completed: Change variable env:GREETING on staging", { timeout: 60_000 });
  expect(await siteGreeting(page, projectId, "staging")).toBe("hello-project");

  // The saves are activities of the environment, the project variable's of the project.
  await page.goto(`/projects/${projectId}`);
  await expect(page.getByText("Add project variable env:GREETING").first()).toBeVisible();

  // Production still runs with the old variables until it is redeployed.
  await page.goto(`/projects/${projectId}/environments/master`);
  await expect(page.getByTestId("variables-changed")).toBeVisible();
  await page.getByRole("toolbar").getByRole("button", { name: "Redeploy", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Redeploy" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await expect(page.getByTestId("variables-changed")).toHaveCount(0);
  expect(await siteGreeting(page, projectId, "master")).toBe("hello-project");
  await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

  // An ancestor's inheritable definition reaches its child, which is not redeployed and says so.
  const masterSection = page.getByRole("region", { name: "Variables" });
  await masterSection.getByLabel("Name").fill("env:GREETING");
  await masterSection.getByLabel("Value").fill("from-master");
  await masterSection.getByRole("button", { name: "Add variable" }).click();
  await expect(masterSection.getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  expect(await siteGreeting(page, projectId, "master")).toBe("from-master");
  await page.goto(`/projects/${projectId}/environments/staging`);
  await expect(page.getByTestId("variables-changed")).toBeVisible();
  const stagingList = page.getByRole("list", { name: "Variables of staging" });
  await expect(stagingList.getByRole("listitem").filter({ hasText: "from-master" })).toContainText("Inherited from master");
  await expect(stagingList.getByRole("listitem").filter({ hasText: "hello-project" })).toContainText("Inactive: master sets it");
  // Enabling staging's own again overrides master's (and redeploys staging).
  await stagingList.getByRole("button", { name: "Edit env:GREETING" }).first().click();
  const again = stagingList.getByRole("form", { name: "Edit env:GREETING" });
  await again.getByLabel("Enabled").check();
  await again.getByRole("button", { name: "Save" }).click();
  await expect(stagingList.getByRole("listitem").filter({ hasText: "from-master" })).toContainText("Overridden by staging", AFTER_SAVE);
  await expect(page.getByRole("region", { name: "Variables" }).getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await expect(page.getByTestId("variables-changed")).toHaveCount(0);
  expect(await siteGreeting(page, projectId, "staging")).toBe("hello-staging");
  await context.close();
});

test("bulk: paste a .env with a preview of what is added or changed, import it as one redeploy, copy the non-sensitive ones as .env", async ({ browser }) => {
  test.setTimeout(150_000);
  const { projectId, context, page } = await newDeployedProject(browser, "dotenv", "Dotenv");
  await page.goto(`/projects/${projectId}/environments/staging`);
  const section = page.getByRole("region", { name: "Variables" });
  // One variable already there, and one sensitive.
  await section.getByLabel("Name").fill("env:GREETING");
  await section.getByLabel("Value").fill("old");
  await section.getByRole("button", { name: "Add variable" }).click();
  await expect(section.getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });

  await section.getByRole("button", { name: "Import from .env" }).click();
  const form = section.getByRole("form", { name: "Import variables from .env" });
  const text = form.getByLabel("KEY=value lines (a .env file)");
  // A line that cannot be read: said at once, the import waits for it.
  await text.fill("GREETING=from-dotenv\nthis is not a line");
  await expect(form.getByText("Line 2 is not KEY=value.")).toBeVisible();
  await expect(form.getByRole("button", { name: /Import/ })).toBeDisabled();
  await text.fill("# from my .env\nGREETING=from-dotenv\nexport API_URL=\"https://api.example.com/v1\"\n");
  const preview = form.getByRole("table", { name: "Preview of the import" });
  await expect(preview.getByRole("row", { name: /env:GREETING/ })).toContainText("Changed");
  await expect(preview.getByRole("row", { name: /env:API_URL/ })).toContainText("Added");
  await form.getByRole("button", { name: "Import 2 variables" }).click();
  const notice = section.getByTestId("activity-notice");
  await expect(notice).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await expect(notice).toContainText("Completed: Change 2 variables (1 added, 1 changed) on staging");
  const list = section.getByRole("list", { name: "Variables of staging" });
  await expect(list).toContainText("https://api.example.com/v1");
  await expect(list).toContainText("from-dotenv");
  const res = await page.request.get(`http://localhost:${process.env.E2E_ENV_PORT}/${projectId}/staging/`, OWN_CONNECTION);
  expect(await res.text()).toContain('<strong id="greeting">from-dotenv</strong>');

  // A sensitive one is never copied.
  await section.getByLabel("Name").fill("env:TOKEN");
  await section.getByLabel("Value").fill("secret-token-value");
  await section.getByLabel("Sensitive (write-only)").check();
  await section.getByRole("button", { name: "Add variable" }).click();
  // The save answers once its activity is queued; under the suite's load that can take a while.
  await expect(list.getByRole("listitem").filter({ hasText: "env:TOKEN" })).toBeVisible(AFTER_SAVE);
  await section.getByRole("button", { name: "Copy as .env" }).click();
  const exported = section.getByLabel("The variables staging gets, as .env");
  await expect(exported).toHaveValue(/GREETING=from-dotenv/);
  await expect(exported).toHaveValue(/API_URL=https:\/\/api\.example\.com\/v1/);
  await expect(exported).toHaveValue(/# TOKEN: sensitive, not copied/);
  expect(await exported.inputValue()).not.toContain("secret-token-value");
  await context.close();
});
