import { expect, type Browser, type BrowserContextOptions, type Page } from "@playwright/test";
import { ADMIN_STATE } from "./accounts";

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // bcrypt and the first page render: slow when hooks and deploys load both cores.
  await expect(page).toHaveURL(/\/projects$/, { timeout: 30_000 });
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: /Account menu/ }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
}

/** `base` is the server's URL when the test runs its own server, else the shared one. */
export async function createProject(page: Page, title: string, plan: "Starter" | "Pro" = "Starter", id?: string, base = "") {
  await page.goto(`${base}/projects/new`);
  await page.getByLabel("Title").fill(title);
  if (id) await page.getByLabel("Project id").fill(id);
  await page.getByRole("radio", { name: new RegExp(`^${plan}`) }).check();
  await page.getByRole("button", { name: "Create project" }).click();
  // Creating the repository and queueing the first deploys can take a while on a loaded machine.
  if (id) await page.waitForURL(new RegExp(`/projects/${id}$`), { timeout: 45_000 });
}

export function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** As an instance administrator: add a user on the Users page. */
export async function addUser(page: Page, user: { name: string; email: string; password: string }) {
  await page.goto("/admin/users");
  await page.getByLabel("Name").fill(user.name);
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Initial password").fill(user.password);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status").filter({ hasText: "User added." })).toBeVisible({ timeout: 30_000 }); // hashing the password takes a while under the suite's load
  await expect(page.getByRole("cell", { name: user.email, exact: true })).toBeVisible();
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue(""); // the form starts empty again
}

/** The log viewer is virtualised: search brings a line into view, then it must be in the log. */
export async function expectLogLine(page: Page, text: string) {
  const search = page.getByRole("searchbox", { name: "Search the log" });
  await search.fill(text);
  await search.press("Enter");
  await expect(page.getByRole("log", { name: "Activity log" })).toContainText(text);
}

/** Waits (through the overview API) until an environment is active and runs nothing. */
export async function waitForIdle(page: Page, projectId: string, name: string, timeout = 40_000) {
  await expect(async () => {
    const res = await page.request.get(`/api/projects/${projectId}/overview`);
    const env = ((await res.json()) as { environments: { name: string; status: string; busy: unknown }[] }).environments.find((e) => e.name === name);
    expect(env).toMatchObject({ status: "active", busy: null });
  }).toPass({ timeout });
}

/** As the administrator: a new Starter project whose staging is deployed and idle, and the page; on the shared server unless `server` is given. */
export async function newDeployedProject(browser: Browser, prefix: string, title: string, server?: { url: string; adminState: BrowserContextOptions["storageState"] }) {
  const projectId = `${prefix}-${uniqueSuffix()}`;
  const context = await browser.newContext(server ? { baseURL: server.url, storageState: server.adminState } : { storageState: ADMIN_STATE });
  const page = await context.newPage();
  await createProject(page, title, "Starter", projectId);
  await waitForIdle(page, projectId, "staging");
  return { projectId, context, page };
}

/** Branches `name` from `parent` through its Branch dialog and waits for it to be deployed. */
export async function branchFrom(page: Page, projectId: string, parent: string, name: string) {
  await page.goto(`/projects/${projectId}/environments/${parent}`);
  await page.getByRole("button", { name: "Branch", exact: true }).click();
  await page.getByRole("dialog").getByLabel("Name").fill(name);
  await page.getByRole("dialog").getByRole("button", { name: "Branch" }).click();
  await waitForIdle(page, projectId, name);
}
