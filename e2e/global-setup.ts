import type { FullConfig } from "@playwright/test";
import { SHARED_SERVER_ENV } from "./support/accounts";
import { chromiumPath } from "./support/chromium";
import { startServer } from "./support/server";

/** One shared server for most specs: a fresh DATA_DIR, a free port, an administrator from the environment. */
export default async function globalSetup(_config: FullConfig) {
  chromiumPath(); // fail early, with how to install one
  const server = await startServer({ env: SHARED_SERVER_ENV });
  process.env.E2E_BASE_URL = server.url;
  process.env.E2E_DATA_DIR = server.dataDir;
  process.env.E2E_ENV_PORT = String(server.envPort);
  return async () => {
    await server.stop();
  };
}
