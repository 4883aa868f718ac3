import { expect, test } from "./support/test";
import { startServer, type TestServer } from "./support/server";

let server: TestServer;
test.beforeAll(async () => {
  // Served as https://… (as behind a TLS-terminating proxy that PUBLIC_URL names).
  server = await startServer({ env: { ADMIN_EMAIL: "tls@example.com", ADMIN_PASSWORD: "tls-password-1", PUBLIC_URL: "https://console.example.com", SEED_DEMO: "0" } });
});
test.afterAll(async () => {
  await server?.stop();
});

test("over https the session cookie is Secure (__Secure-) and answers carry Strict-Transport-Security", async ({ page }) => {
  const res = await page.request.get(`${server.url}/sign-in`);
  expect(res.headers()["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
  expect(res.headers()["content-security-policy"]).toContain("upgrade-insecure-requests");
  // Chromium keeps Secure cookies for http://localhost (a secure context), so signing in works here.
  await page.goto(`${server.url}/sign-in`);
  await page.getByLabel("Email").fill("tls@example.com");
  await page.getByLabel("Password").fill("tls-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/projects$/, { timeout: 30_000 });
  const session = (await page.context().cookies()).find((c) => c.name.endsWith("authjs.session-token"));
  expect(session).toMatchObject({ name: "__Secure-authjs.session-token", secure: true, httpOnly: true, sameSite: "Lax" });
});
