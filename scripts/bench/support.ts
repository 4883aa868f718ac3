// What the benchmarks that drive a production server in Chromium share.
import { chromium, type Browser, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "../../e2e/support/chromium";
import { startServer, type TestServer } from "../../e2e/support/server";

export const BENCH_ADMIN = { email: "bench@example.com", password: "bench-password" };

/** A production server with the demo project, Chromium, and a page signed in as its administrator. */
export async function startSignedIn(): Promise<{ server: TestServer; browser: Browser; page: Page }> {
  const server = await startServer({ env: { ADMIN_EMAIL: BENCH_ADMIN.email, ADMIN_PASSWORD: BENCH_ADMIN.password, SEED_DEMO: "1" } });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const page = await (await browser.newContext({ baseURL: server.url })).newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(BENCH_ADMIN.email);
  await page.getByLabel("Password").fill(BENCH_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/projects$/);
  return { server, browser, page };
}

/** A new API token from the Account page, and the demo project's git remote with it. */
export async function demoRemote(page: Page, server: TestServer): Promise<{ token: string; remote: string }> {
  await page.goto("/account");
  await page.getByLabel("Token name").fill("bench");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  const remote = new URL("/git/demo-store.git", server.url);
  remote.username = encodeURIComponent(BENCH_ADMIN.email);
  remote.password = token;
  return { token, remote: remote.toString() };
}
