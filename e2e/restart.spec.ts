import { expect, test } from "./support/test";
import { findPostgresBinDir, startCluster, type Cluster } from "../db/testing/postgres-cluster";
import { createProject } from "./support/pages";
import { startServer } from "./support/server";

const admin = { email: "restart@example.com", password: "restart-password" };

for (const backend of ["PGlite", "PostgreSQL"] as const) {
  test(`projects and sessions survive a server restart [${backend}]`, async ({ page }) => {
    test.setTimeout(180_000);
    let cluster: Cluster | undefined;
    let databaseUrl: string | undefined;
    if (backend === "PostgreSQL") {
      const binDir = findPostgresBinDir();
      test.skip(!binDir, "No PostgreSQL server binaries installed (Debian: apt-get install postgresql).");
      cluster = await startCluster(binDir!);
      databaseUrl = cluster.url;
    }
    // (Its project's environments run no services: what survives here is the console's own data.)
    let server = await startServer({ databaseUrl, env: { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, SEED_DEMO: "0", PROJECT_TEMPLATE_SERVICES: "none" } });
    const { dataDir, port } = server;
    try {
      expect(server.output()).toContain(backend === "PGlite" ? "embedded PGlite" : "PostgreSQL (DATABASE_URL)");
      await page.goto(`${server.url}/sign-in`);
      await page.getByLabel("Email").fill(admin.email);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("heading", { name: "No projects yet" })).toBeVisible();

      await createProject(page, "Survivor", "Pro", "survivor", server.url);
      await expect(page).toHaveURL(`${server.url}/projects/survivor`);

      await server.stop();
      server = await startServer({ dataDir, port, databaseUrl, env: { SEED_DEMO: "0" } });
      expect(server.output()).toContain("0 migration(s) applied");

      // The same cookie still works: the generated AUTH_SECRET was kept in DATA_DIR.
      await page.goto(`${server.url}/projects`);
      await expect(page.getByRole("link", { name: /Survivor/ })).toContainText("Pro");
    } finally {
      await server.stop();
      await cluster?.stop();
    }
  });
}
