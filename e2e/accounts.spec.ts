import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test, type Browser, type BrowserContext } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { addUser, createProject, signIn, uniqueSuffix } from "./support/pages";

/** A new user, added by the administrator, and a fresh browser signed in as them. */
async function newUserSession(browser: Browser, prefix: string) {
  const user = { name: `${prefix} ${uniqueSuffix()}`, email: `${prefix}-${uniqueSuffix()}@example.com`, password: "first-password" };
  const admin = await browser.newContext({ storageState: ADMIN_STATE });
  await addUser(await admin.newPage(), user);
  await admin.close();
  return { user, context: await signedIn(browser, user.email, user.password) };
}

async function signedIn(browser: Browser, email: string, password: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  await signIn(await context.newPage(), email, password);
  return context;
}

test("changing the password needs the current one, keeps what was typed on an error, and signs out the other sessions", async ({ browser }) => {
  const { user, context } = await newUserSession(browser, "pw");
  const other = await signedIn(browser, user.email, user.password);
  const page = await context.newPage();
  await page.goto("/account");
  await expect(page.getByRole("list", { name: "Your sessions" }).getByRole("listitem")).toHaveCount(2);

  await page.getByLabel("Current password").fill("not-my-password");
  await page.getByLabel("New password", { exact: true }).fill("second-password");
  await page.getByLabel("Repeat the new password").fill("second-password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("This is not your current password.")).toBeVisible();
  await expect(page.getByLabel("New password", { exact: true })).toHaveValue("second-password"); // typed values stay

  await page.getByLabel("Current password").fill(user.password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password changed. 1 other session signed out." })).toBeVisible();
  await expect(page.getByLabel("New password", { exact: true })).toHaveValue(""); // and clear on success

  // The other browser is signed out at once: pages send it to sign in, the API answers 401.
  const otherPage = await other.newPage();
  await otherPage.goto("/projects");
  await expect(otherPage).toHaveURL(/\/sign-in/);
  expect((await other.request.get("/api/projects")).status()).toBe(401);
  // This browser stays signed in; the new password works, the old one does not.
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/projects$/, { timeout: 30_000 });
  await signIn(otherPage, user.email, "second-password");
  await context.close();
  await other.close();
});

test("signing out ends the session on the server: its old cookie opens nothing, and a form open elsewhere says so", async ({ browser }) => {
  const { user, context } = await newUserSession(browser, "out");
  const saved = await context.storageState();
  const second = await signedIn(browser, user.email, user.password);
  const secondPage = await second.newPage();
  await secondPage.goto("/account");

  // "Sign out everywhere else" from the first browser ends the second one.
  const page = await context.newPage();
  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Signed out 1 other session." })).toBeVisible();
  // A new name shows in the header at once: saving renders the account page again, its header too.
  await page.getByLabel("Name", { exact: true }).fill("Otto Renamed");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByRole("button", { name: "Account menu for Otto Renamed" })).toBeVisible();
  await secondPage.getByLabel("Name", { exact: true }).fill("Renamed");
  await secondPage.getByRole("button", { name: "Save name" }).click();
  await expect(secondPage.getByRole("alert").filter({ hasText: "Your session has ended. Sign in again." })).toBeVisible();

  // Signing out, then replaying the cookie from before: 401 from the API, sign-in for pages.
  await page.getByRole("button", { name: /Account menu/ }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  const replay = await browser.newContext({ storageState: saved });
  expect((await replay.request.get("/api/projects")).status()).toBe(401);
  const replayPage = await replay.newPage();
  await replayPage.goto("/account");
  await expect(replayPage).toHaveURL(/\/sign-in\?callbackUrl=%2Faccount$/);
  await Promise.all([context.close(), second.close(), replay.close()]);
});

test("an administrator deactivates a user (their session ends, sign-in says why), reactivates them and gives them a reset link", async ({ browser }) => {
  const { user, context } = await newUserSession(browser, "deact");
  const admin = await (await browser.newContext({ storageState: ADMIN_STATE })).newPage();
  await admin.goto("/admin/users");
  await admin.getByRole("button", { name: `Manage ${user.email}` }).click();
  const dialog = admin.getByRole("dialog");
  await dialog.getByRole("button", { name: "Deactivate" }).click();
  await expect(dialog.getByText("Deactivated. Their sessions have ended")).toBeVisible();

  const page = await context.newPage();
  expect((await context.request.get("/api/projects")).status()).toBe(401);
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form").getByRole("alert")).toHaveText("This account is deactivated. Ask an administrator to reactivate it.");

  await admin.keyboard.press("Escape");
  await admin.getByRole("row", { name: new RegExp(user.email) }).getByText("Deactivated").waitFor();
  await admin.getByRole("button", { name: `Manage ${user.email}` }).click();
  await dialog.getByRole("button", { name: "Reactivate" }).click();
  await expect(dialog.getByText("Reactivated.")).toBeVisible();
  await dialog.getByRole("button", { name: "Create a reset link" }).click();
  const link = (await dialog.getByTestId("one-time-link").textContent())!;
  expect(link).toMatch(/\/reset-password\/[A-Za-z0-9_-]{43}$/);

  await page.goto(link);
  await page.getByLabel("Password", { exact: true }).fill("reset-password-1");
  await page.getByLabel("Repeat the password").fill("reset-password-1");
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page).toHaveURL(/\/projects$/, { timeout: 30_000 });
  // The link worked once.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "This link cannot be used" })).toBeVisible();
  await context.close();
  await admin.context().close();
});

test("a project admin invites someone who joins by the link and sees the project with the chosen role", async ({ browser }) => {
  const projectId = `inv-${uniqueSuffix()}`;
  const adminContext = await browser.newContext({ storageState: ADMIN_STATE });
  const admin = await adminContext.newPage();
  await createProject(admin, "Invited Shop", "Starter", projectId);
  await admin.goto(`/projects/${projectId}/access`);
  const email = `invitee-${uniqueSuffix()}@example.com`;
  await admin.getByLabel("Email to invite").fill(email);
  await admin.locator("#invite-production").selectOption("none");
  await admin.locator("#invite-staging").selectOption("viewer");
  await admin.getByRole("button", { name: "Create invitation link" }).click();
  const link = (await admin.getByTestId("one-time-link").textContent())!;
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(admin.getByRole("list", { name: "Pending invitations" })).toContainText(email);
  await expect(admin.getByLabel("Email to invite")).toHaveValue("");

  const guest = await browser.newContext();
  const page = await guest.newPage();
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Join Invited Shop" })).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await page.getByLabel("Your name").fill("Ivy Invitee");
  await page.getByLabel("Password", { exact: true }).fill("invited-password");
  await page.getByLabel("Repeat the password").fill("not-the-same");
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page.getByText("The two passwords differ.")).toBeVisible();
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue("invited-password");
  await page.getByLabel("Repeat the password").fill("invited-password");
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}$`), { timeout: 30_000 });
  await expect(page.getByRole("link", { name: /staging/i }).first()).toBeVisible();
  // No access to Production: its environment is not shown, and its page is a 404.
  expect((await page.goto(`/projects/${projectId}/environments/master`))?.status()).toBe(404);

  // The link is spent; the access page lists the new member with the chosen roles.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "This invitation cannot be used" })).toBeVisible();
  await admin.goto(`/projects/${projectId}/access`);
  await expect(admin.getByText(email)).toBeVisible();
  await Promise.all([guest.close(), adminContext.close()]);
});

test("`npm run admin -- reset-password` on the machine prints a one-time link while the dashboard runs", async ({ browser }) => {
  const { user, context } = await newUserSession(browser, "cli");
  const root = path.resolve(import.meta.dirname, "..");
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "--conditions=react-server", "scripts/admin.ts", "reset-password", user.email], {
    cwd: root,
    env: { ...process.env, DATA_DIR: process.env.E2E_DATA_DIR, DATABASE_URL: "" },
  });
  const link = /(http\S+\/reset-password\/[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1];
  expect(link, stdout).toBeDefined();
  const page = await context.newPage();
  await page.goto(new URL(link!).pathname); // the link names the server's own address
  await page.getByLabel("Password", { exact: true }).fill("cli-password-1");
  await page.getByLabel("Repeat the password").fill("cli-password-1");
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page).toHaveURL(/\/projects$/, { timeout: 30_000 });
  await context.close();
});

test("revoking a token asks once, and Keep keeps it", async ({ browser }) => {
  const { context } = await newUserSession(browser, "tok");
  const page = await context.newPage();
  await page.goto("/account");
  await page.getByLabel("Token name").fill("laptop");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-token")).toBeVisible();
  const tokens = page.getByRole("list", { name: "Your tokens" });
  await tokens.getByRole("button", { name: "Revoke laptop" }).click();
  const ask = tokens.getByRole("group", { name: /Revoke laptop\?/ });
  await expect(ask).toBeVisible();
  await ask.getByRole("button", { name: "Keep" }).click();
  await expect(tokens.getByText("Revoked")).toHaveCount(0);
  await tokens.getByRole("button", { name: "Revoke laptop" }).click();
  await tokens.getByRole("group", { name: /Revoke laptop\?/ }).getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(tokens.getByText("Revoked")).toBeVisible();
  await context.close();
});
