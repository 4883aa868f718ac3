import { expect, test } from "@playwright/test";
import { createProject } from "./support/pages";
import { startServer } from "./support/server";

const admin = { email: "restart@example.com", password: "restart-password" };

test("projects and sessions survive a server restart", async ({ page }) => {
  test.setTimeout(180_000);
  let server = await startServer({ env: { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, SEED_DEMO: "0" } });
  const { dataDir, port } = server;
  try {
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "No projects yet" })).toBeVisible();

    await createProject(page, "Survivor", "Pro", "survivor", server.url);
    await expect(page).toHaveURL(`${server.url}/projects/survivor`);

    await server.stop();
    server = await startServer({ dataDir, port, env: { SEED_DEMO: "0" } });
    expect(server.output()).toContain("0 migration(s) applied");

    // The same cookie still works: the generated AUTH_SECRET was kept in DATA_DIR.
    await page.goto(`${server.url}/projects`);
    const card = page.getByRole("link", { name: /Survivor/ });
    await expect(card).toContainText("Pro");
  } finally {
    await server.stop();
  }
});
