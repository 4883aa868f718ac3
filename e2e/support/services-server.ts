import type { BrowserContextOptions } from "@playwright/test";
import { ADMIN, SHARED_SERVER_ENV } from "./accounts";
import { signIn } from "./pages";
import { startServer } from "./server";
import { test as base } from "./test";

export { expect } from "./test";

/** A server whose new projects start from the template's services: each deployed environment runs MariaDB and Redis (and RabbitMQ where a spec asks). */
export interface ServicesServer {
  url: string;
  /** Its environment router's port. */
  envPort: number;
  dataDir: string;
  /** The administrator (ADMIN) signed in: for `browser.newContext({ baseURL: url, storageState: adminState })`. */
  adminState: Exclude<BrowserContextOptions["storageState"], undefined | string>;
}

/**
 * `test` for the specs about running services (the shared server's projects run none, see
 * SHARED_SERVER_ENV): `servicesServer` is started the first time a worker asks for it, with
 * the shared server's settings and the template's services (`templateServices`: MariaDB, Redis and
 * OpenSearch unless a spec adds RabbitMQ with `test.use`, which takes a worker of its own: RabbitMQ
 * takes 5 s to start in each deploy), and stopped when the worker ends.
 */
export const test = base.extend<object, { servicesServer: ServicesServer; templateServices: string }>({
  templateServices: ["mysql,redis,opensearch", { scope: "worker", option: true }],
  servicesServer: [
    async ({ browser, templateServices }, use) => {
      const { PROJECT_TEMPLATE_SERVICES: _shared, ...env } = SHARED_SERVER_ENV;
      const server = await startServer({ env: { ...env, SEED_DEMO: "0", PROJECT_TEMPLATE_SERVICES: templateServices } });
      let adminState: ServicesServer["adminState"];
      try {
        const context = await browser.newContext({ baseURL: server.url });
        await signIn(await context.newPage(), ADMIN.email, ADMIN.password);
        adminState = await context.storageState();
        await context.close();
      } catch (err) {
        await server.stop();
        throw err;
      }
      await use({ url: server.url, envPort: server.envPort, dataDir: server.dataDir, adminState });
      await server.stop();
    },
    { scope: "worker", timeout: 180_000 },
  ],
});
