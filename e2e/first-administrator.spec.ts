import { expect, test } from "./support/test";
import { signOut } from "./support/pages";
import { startServer, type TestServer } from "./support/server";

let server: TestServer;
test.beforeAll(async () => {
  server = await startServer(); // an empty database, no ADMIN_EMAIL
});
test.afterAll(async () => {
  await server?.stop();
});

test("an empty database asks for the first administrator, once", async ({ page }) => {
  await page.goto(server.url);
  await expect(page).toHaveURL(`${server.url}/setup`);
  await expect(page).toHaveTitle("Create the first administrator · Project Web Interface");
  await expect(page.getByRole("heading", { name: "Create the first administrator" })).toBeVisible();

  await page.getByLabel("Name").fill("Ada Admin");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password", { exact: true }).fill("first-password");
  await page.getByLabel("Repeat the password").fill("other-password");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByText("The two passwords differ.")).toBeVisible();
  // What was typed stays, passwords included (they never travel back from the server).
  await expect(page.getByLabel("Name")).toHaveValue("Ada Admin");
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue("first-password");
  await expect(page.getByLabel("Repeat the password")).toHaveValue("other-password");

  await page.getByLabel("Password", { exact: true }).fill("first-password");
  await page.getByLabel("Repeat the password").fill("first-password");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(`${server.url}/projects`, { timeout: 30_000 }); // hashing, the demo project, the first render
  await expect(page.getByRole("link", { name: /Demo Store/ })).toBeVisible();

  const again = await page.goto(`${server.url}/setup`);
  expect(again?.status()).toBe(404);
  await page.goto(`${server.url}/projects`);
  await signOut(page);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});
