import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "./e2e/support/chromium";

/** Started first (see projects). */
const FIRST_SPECS = /\/(server-lifecycle|idle)\.spec\.ts$/;
/** The specs that use `servicesServer`: a new one goes here too. */
const SERVICES_SPECS = /\/(app-logs|download-database|runtime-status|service-states|snapshots|topology)\.spec\.ts$/;

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 2,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  // Under the whole suite (two workers, hooks and deploys on both cores, the embedded database on the
  // server's one thread) an answer can take seconds: assertions wait for it, up to this bound.
  expect: { timeout: 20_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    // Set by the global setup, which starts the production build on a free port.
    baseURL: process.env.E2E_BASE_URL,
    browserName: "chromium",
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    // A failed test keeps its trace (each action's DOM, network, console) and a screenshot. No
    // screencast: it made Chromium encode frames all along and cost a fifth of the suite's time.
    trace: { mode: "retain-on-failure", screenshots: false },
    screenshot: "only-on-failure",
  },
  // Workers take files in this order (a project's files alphabetically, projects as listed); a
  // worker changes process when it changes project.
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/ },
    // First, side by side: the 20 restarts (CPU-bound) overlap idle.spec's minute of waiting.
    { name: "first", testMatch: FIRST_SPECS, dependencies: ["setup"] },
    // The specs about running services share a server of their own (e2e/support/services-server.ts):
    // one worker runs them all, so it starts once.
    { name: "services", testMatch: SERVICES_SPECS, dependencies: ["setup"], workers: 1 },
    { name: "e2e", testMatch: /.*\.spec\.ts/, testIgnore: [FIRST_SPECS, SERVICES_SPECS], dependencies: ["setup"] },
  ],
});
