import { expect, test } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { addUser, createProject, expectLogLine, signIn, uniqueSuffix, waitForIdle } from "./support/pages";

test("branch from staging, watch the deploy log, merge back; a viewer finds Merge disabled with its reason", async ({ browser }) => {
  test.setTimeout(120_000);
  const suffix = uniqueSuffix();
  const projectId = `envs-${suffix}`;
  const viewer = { email: `viewer-${suffix}@example.com`, password: "viewer-password-1" };

  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await createProject(page, "Env store", "Starter", projectId);
  await expect(page.getByText("2 of 4 active environments")).toBeVisible();
  await waitForIdle(page, projectId, "staging");

  await page.goto(`/projects/${projectId}/environments/staging`);
  await expect(page).toHaveTitle(`Staging · Env store · Project Web Interface`);
  await page.getByRole("button", { name: "Branch", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Branch from Staging" });
  await dialog.getByLabel("Name").fill("Bad Name");
  await dialog.getByRole("button", { name: "Branch" }).click();
  await expect(dialog.getByText("Use lowercase letters, digits and single dashes")).toBeVisible();
  await dialog.getByLabel("Name").fill("fix-cart");
  await dialog.getByLabel("Title").fill("Fix cart");
  await dialog.getByRole("button", { name: "Branch" }).click();
  await dialog.getByRole("link", { name: "Open its log" }).click();
  await expect(page).toHaveURL(/\/activities\//);
  await expect(page.getByRole("heading", { name: "Branch fix-cart from staging" })).toBeVisible();
  await expect(page.locator("[aria-live=polite]").getByText("Success", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expectLogLine(page, "Reusing the build of tree");
  await expectLogLine(page, "Deploying mymagento to fix-cart");
  await expectLogLine(page, "Copied ");

  // The environment's site: its own origin on the router, by host name and by path, built from its commit.
  await page.goto(`/projects/${projectId}/environments/fix-cart`);
  const deployed = (await page.locator("dt", { hasText: "Deployed" }).first().locator("xpath=following-sibling::dd[1]").textContent())!.trim();
  const urls = page.getByRole("region", { name: "URLs" });
  const envPort = process.env.E2E_ENV_PORT;
  await expect(urls.getByRole("link", { name: `http://fix-cart.${projectId}.localhost:${envPort}/` })).toBeVisible();
  await expect(page.getByRole("region", { name: "Data", exact: true })).toContainText("var");
  const site = await browser.newPage();
  await site.goto(`http://fix-cart.${projectId}.localhost:${envPort}/`);
  await expect(site.locator("body")).toContainText(deployed);
  await expect(site.locator("body")).toContainText("fix-cart");
  await site.goto(`http://localhost:${envPort}/${projectId}/fix-cart/`);
  await expect(site.locator("body")).toContainText(deployed);
  await site.goto(`http://localhost:${envPort}/${projectId}/no-such-env/`);
  await expect(site.getByRole("heading", { name: "No such environment" })).toBeVisible();
  await site.close();

  await page.goto(`/projects/${projectId}`);
  await expect(page.getByText("3 of 4 active environments")).toBeVisible();
  await expect(page.getByRole("link", { name: /^Fix cart \(fix-cart\)/ })).toBeVisible();

  // Viewer: sees everything, may do nothing, and is told why.
  await addUser(page, { name: "Vera Viewer", ...viewer });
  await page.goto(`/projects/${projectId}/access`);
  const add = page.getByRole("region", { name: "Add a member" });
  await add.getByLabel("Email").fill(viewer.email);
  await add.getByLabel("Project role").selectOption("viewer");
  await add.getByLabel("Staging environments").selectOption("viewer");
  await add.getByLabel("Integration environments").selectOption("viewer");
  await add.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("listitem", { name: "Vera Viewer" })).toBeVisible();

  const viewerContext = await browser.newContext();
  const viewerPage = await viewerContext.newPage();
  await signIn(viewerPage, viewer.email, viewer.password);
  await viewerPage.goto(`/projects/${projectId}/environments/fix-cart`);
  const merge = viewerPage.getByRole("button", { name: "Merge" });
  await expect(merge).toHaveAttribute("aria-disabled", "true");
  await expect(merge).toHaveAccessibleDescription("Viewers cannot merge into Staging: it needs the admin role on Staging environments.");
  // The reason shows on keyboard focus, not only on click or hover.
  await merge.focus();
  await expect(viewerPage.getByRole("tooltip").filter({ hasText: "Viewers cannot merge into Staging" })).toBeVisible();
  await merge.click({ force: true });
  await expect(viewerPage.getByRole("status").filter({ hasText: "Merge: Viewers cannot merge" })).toBeVisible();

  // Admin merges: staging redeploys with the merged commit.
  await page.goto(`/projects/${projectId}/environments/fix-cart`);
  await page.getByRole("button", { name: "Merge" }).click();
  const mergeDialog = page.getByRole("dialog", { name: "Merge fix-cart into staging" });
  await expect(mergeDialog).toContainText("already has every commit of fix-cart");
  const [mergeRequest] = await Promise.all([
    page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"])),
    mergeDialog.getByRole("button", { name: "Merge into staging" }).click(),
  ]);
  await mergeDialog.getByRole("link", { name: "Open its log" }).click();
  await expect(page).toHaveURL(/\/activities\//);
  await expect(page.locator("[aria-live=polite]").getByText("Success", { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("staging already contains every commit of fix-cart.")).toBeVisible();

  // The viewer replays the admin's server-action POST with their own session: refused, nothing queued.
  const forged = await viewerPage.request.post(mergeRequest.url(), {
    headers: { "next-action": mergeRequest.headers()["next-action"]!, "content-type": mergeRequest.headers()["content-type"]!, accept: "text/x-component" },
    data: mergeRequest.postDataBuffer()!,
  });
  expect(await forged.text()).toContain("Viewers cannot merge into Staging");
  const overview = (await (await page.request.get(`/api/projects/${projectId}/overview`)).json()) as { activities: { description: string }[] };
  expect(overview.activities.filter((a) => a.description === "Merge fix-cart into staging")).toHaveLength(1);
  await viewerContext.close();
  await context.close();
});
