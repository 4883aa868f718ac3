// `npx tsx scripts/screenshots.ts`: starts the production build on a temporary DATA_DIR,
// signs in, creates a project and saves screenshots to public/screenshots/ (light and dark).
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "../e2e/support/chromium";
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
      await page.goto("/admin/users");
      await page.getByLabel("Name").fill("Dana Developer");
      await page.getByLabel("Email").fill("dana@example.com");
      await page.getByLabel("Initial password").fill("dana-password");
      await page.getByRole("button", { name: "Add user" }).click();
      await page.getByRole("cell", { name: "dana@example.com" }).waitFor();
      await page.goto("/projects/luma-storefront/access");
      const form = page.getByRole("region", { name: "Add a member" });
      await form.getByLabel("Email").fill("dana@example.com");
      await form.getByRole("button", { name: "Add member" }).click();
      await page.getByRole("listitem", { name: "Dana Developer" }).waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${out}/access.png`, fullPage: true });
    }
    await page.goto("/projects/luma-storefront");
    await page.getByRole("button", { name: /Switch project/ }).click();
    await page.screenshot({ path: `${out}/project-${colorScheme}.png` });
    await context.close();
  }
  console.log(`Screenshots saved in ${out}/`);
} finally {
  await browser.close();
  await server.stop();
}
