import type { BrowserContextOptions } from "@playwright/test";
import { ADMIN, SHARED_SERVER_ENV } from "./accounts";
import { signIn } from "./pages";
import { startServer } from "./server";
import { test as base } from "./test";

export { expect } from "./test";

/** A server whose new projects start from the whole template: each deployed environment runs MariaDB, Redis and RabbitMQ. */
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
 * the shared server's settings and the template's four services, and stopped when the worker ends.
 */
export const test = base.extend<object, { servicesServer: ServicesServer }>({
  servicesServer: [
    async ({ browser }, use) => {
      const { PROJECT_TEMPLATE_SERVICES: _shared, ...env } = SHARED_SERVER_ENV;
      const server = await startServer({ env: { ...env, SEED_DEMO: "0", PROJECT_TEMPLATE_SERVICES: "mysql,redis,opensearch,rabbitmq" } });
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
