import { expect, test } from "./support/test";
import { ADMIN } from "./support/accounts";
import { signIn, signOut, uniqueSuffix } from "./support/pages";

test("a wrong password says only that email or password is wrong", async ({ page }) => {
  await page.goto("/sign-in");
  await expect(page).toHaveTitle("Sign in · Project Web Interface");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form").getByRole("alert")).toHaveText("Email or password is wrong.");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByLabel("Email")).toHaveValue(ADMIN.email);

  await page.getByLabel("Email").fill(`nobody-${uniqueSuffix()}@example.com`);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form").getByRole("alert")).toHaveText("Email or password is wrong.");
});

test("pages need a session; sign in, then sign out", async ({ page }) => {
  const response = await page.goto("/projects");
  expect(response?.url()).toMatch(/\/sign-in$/);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: "Projects", level: 1 })).toBeVisible();
  await signOut(page);
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("a deep link asked for before signing in is where signing in lands; an address elsewhere is not", async ({ page }) => {
  await page.goto("/admin/users?from=link");
  await expect(page).toHaveURL(/\/sign-in\?callbackUrl=%2Fadmin%2Fusers%3Ffrom%3Dlink$/);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin\/users\?from=link$/);
  await signOut(page);
  // Another site as the return address: signing in goes to the projects instead.
  await page.goto("/sign-in?callbackUrl=%2F%2Fevil.example%2Fsteal");
  await signIn(page, ADMIN.email, ADMIN.password);
});

test("ten failures lock the email from this address with a clear message", async ({ page }) => {
  const email = `locked-${uniqueSuffix()}@example.com`;
  await page.goto("/sign-in");
  for (let i = 0; i < 10; i++) {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(`wrong-${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("form").getByRole("alert")).toHaveText("Email or password is wrong.");
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  }
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("anything");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form").getByRole("alert")).toContainText("Too many failed sign-ins for this email from this network. Try again in 15 minutes");
});
