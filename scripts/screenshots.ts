// `npx tsx scripts/screenshots.ts`: starts the production build on a temporary DATA_DIR,
// signs in, creates a project and saves screenshots to public/screenshots/ (light and dark).
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "../e2e/support/chromium";
import { addUser } from "../e2e/support/pages";
import { startServer } from "../e2e/support/server";

const out = "public/screenshots";
const admin = { email: "admin@example.com", password: "screenshot-password" };
const server = await startServer({ env: { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password } });
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
try {
  for (const colorScheme of ["light", "dark"] as const) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme, baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/sign-in");
    if (colorScheme === "light") await page.screenshot({ path: `${out}/sign-in.png` });
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/projects$/);
    if (colorScheme === "light") {
      for (const [title, plan, region] of [["Luma Storefront", "Pro", "eu-5"], ["Outlet B2B", "Starter", "ap-3"]] as const) {
        await page.goto("/projects/new");
        await page.getByLabel("Title").fill(title);
        await page.getByRole("radio", { name: new RegExp(`^${plan}`) }).check();
        await page.getByLabel("Region").selectOption(region);
        await page.getByRole("button", { name: "Create project" }).click();
        await page.waitForURL(/\/projects\/[a-z]/);
      }
      await page.goto("/projects/new");
      await page.getByLabel("Title").fill("Spring Campaign Store");
      await page.screenshot({ path: `${out}/create-project.png` });
    }
    await page.goto("/projects");
    await page.screenshot({ path: `${out}/projects-${colorScheme}.png` });
    if (colorScheme === "light") {
      await addUser(page, { name: "Dana Developer", email: "dana@example.com", password: "dana-password" });
      await page.goto("/projects/luma-storefront/access");
      const form = page.getByRole("region", { name: "Add a member" });
      await form.getByLabel("Email").fill("dana@example.com");
      await form.getByRole("button", { name: "Add member" }).click();
      await page.getByRole("listitem", { name: "Dana Developer" }).waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${out}/access.png`, fullPage: true });
    }
    if (colorScheme === "light") {
      // Environments: branch from staging, then the project page, the branch's deploy log.
      await page.goto("/projects/demo-store/environments/staging");
      await page.getByRole("button", { name: "Branch", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Name").fill("fix-cart");
      await page.getByRole("dialog").getByLabel("Title").fill("Fix cart");
      await page.getByRole("dialog").getByRole("button", { name: "Branch" }).click();
      await page.getByRole("dialog").getByRole("link", { name: "Open its log" }).click();
      await page.getByText("Complete log").waitFor({ timeout: 30_000 });
      await page.getByRole("searchbox", { name: "Search the log" }).fill("deploy");
      await page.getByRole("searchbox", { name: "Search the log" }).press("Enter");
      await page.screenshot({ path: `${out}/deploy-log.png` });
      // The environment page: a snapshot, its URLs and data.
      await page.goto("/projects/demo-store/environments/fix-cart");
      const backups = page.getByRole("region", { name: "Backups" });
      await backups.getByRole("button", { name: "Create snapshot" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Create snapshot" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
      await backups.getByText("Complete").waitFor({ timeout: 30_000 });
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.screenshot({ path: `${out}/environment.png` });
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto("/projects/demo-store");
      await page.screenshot({ path: `${out}/environments.png` });
      await page.goto("/projects/demo-store/environments/master");
      await page.getByRole("button", { name: "Deactivate" }).click({ force: true });
      await page.screenshot({ path: `${out}/disabled-reason.png` });
      // Variables of an environment (a project one shadowed, the page says "redeploy to apply"), then its settings.
      await page.goto("/projects/demo-store/settings");
      const projectVars = page.getByRole("region", { name: "Project variables" });
      await projectVars.getByLabel("Name").fill("env:GREETING");
      await projectVars.getByLabel("Value").fill("Welcome to the Demo Store");
      await projectVars.getByRole("button", { name: "Add variable" }).click();
      await projectVars.getByText("Saved.").waitFor({ timeout: 30_000 });
      await page.goto("/projects/demo-store/environments/fix-cart");
      const vars = page.getByRole("region", { name: "Variables" });
      await vars.getByLabel("Name").fill("env:ADMIN_PASSWORD");
      await vars.getByLabel("Value").fill("not-shown-anywhere");
      await vars.getByLabel("Sensitive (write-only)").check();
      await vars.getByRole("button", { name: "Add variable" }).click();
      await vars.getByTestId("activity-notice").and(page.locator("[data-result=success]")).waitFor({ timeout: 60_000 });
      await page.goto("/projects/demo-store");
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: `${out}/variables-changed.png` });
      await page.goto("/projects/demo-store/environments/fix-cart/settings");
      await page.screenshot({ path: `${out}/environment-settings.png`, fullPage: true });
      await page.setViewportSize({ width: 1280, height: 720 });
    }
    // The hierarchy beside the tree, and a Pro production topology, in both schemes.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto("/projects/demo-store");
    await page.getByRole("button", { name: "Hierarchy graph" }).click();
    await page.getByRole("figure", { name: "Environment hierarchy graph" }).locator(".react-flow__node").first().waitFor();
    await page.getByRole("figure", { name: "Environment hierarchy graph" }).getByRole("button", { name: "Actions for fix-cart" }).click();
    await page.getByRole("region", { name: "Actions for fix-cart" }).getByText("Branch").waitFor();
    await page.screenshot({ path: `${out}/hierarchy-${colorScheme}.png` });
    await page.goto("/projects/luma-storefront/environments/production/topology");
    await page.getByRole("figure", { name: "Topology graph" }).locator("[data-graph-node]").first().waitFor();
    await page.getByRole("figure", { name: "Topology graph" }).locator("[data-graph-node][data-testid*=app]").first().click();
    await page.screenshot({ path: `${out}/topology-${colorScheme}.png` });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto("/projects/luma-storefront");
    await page.getByRole("button", { name: /Switch project/ }).click();
    await page.screenshot({ path: `${out}/project-${colorScheme}.png` });
    // On a phone: an environment's page (the header collapsed into where you are and a Menu button), then the menu open.
    await page.keyboard.press("Escape");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto("/projects/demo-store/environments/fix-cart");
    await page.getByRole("toolbar").waitFor();
    await page.getByRole("button", { name: /^Menu \(you are in Demo Store \/ Fix cart\)/ }).waitFor();
    await page.screenshot({ path: `${out}/phone-environment-${colorScheme}.png` });
    await page.getByRole("button", { name: /^Menu/ }).click();
    await page.getByRole("dialog").waitFor();
    await page.screenshot({ path: `${out}/phone-menu-${colorScheme}.png` });
    await context.close();
  }
  console.log(`Screenshots saved in ${out}/`);
} finally {
  await browser.close();
  await server.stop();
}
