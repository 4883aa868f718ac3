import { expect, test } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { createProject, uniqueSuffix } from "./support/pages";

test.use({ storageState: ADMIN_STATE });

test("the demo project was seeded for the first administrator", async ({ page }) => {
  await page.goto("/projects");
  const card = page.getByRole("link", { name: /Demo Store/ });
  await expect(card).toBeVisible();
  await expect(card).toContainText("demo-store");
  await expect(card).toContainText("Starter");
});

test("create a Pro project; it is listed, switchable and has its own page", async ({ page }) => {
  const suffix = uniqueSuffix();
  const title = `Luma Store ${suffix}`;
  await page.goto("/projects/new");
  await expect(page).toHaveTitle("Create project · Project Web Interface");
  await page.getByLabel("Title").fill(title);
  await expect(page.getByLabel("Project id")).toHaveValue(`luma-store-${suffix}`);
  await page.getByRole("radio", { name: /^Pro/ }).check();
  await page.getByLabel("Region").selectOption("eu-5");
  await page.getByRole("button", { name: "Create project" }).click();

  await expect(page).toHaveURL(new RegExp(`/projects/luma-store-${suffix}$`));
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await expect(page).toHaveTitle(`${title} · Project Web Interface`);
  await expect(page.getByRole("button", { name: `Project: ${title}. Switch project` })).toBeVisible();

  await page.goto("/projects");
  const card = page.getByRole("link", { name: new RegExp(title) });
  await expect(card).toContainText("Pro");
  await expect(card).toContainText("eu-5");
  await expect(card).toContainText("Members1");

  await page.getByRole("button", { name: /Switch project/ }).click();
  await page.getByRole("menuitem", { name: new RegExp(title) }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/luma-store-${suffix}$`));
});

test("bad input gets field errors and writes nothing", async ({ page }) => {
  await page.goto("/projects/new");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText("Enter a title.")).toBeVisible();
  await expect(page.getByLabel("Title")).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("Title").fill("x".repeat(500));
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText("Use at most 100 characters for the title.")).toBeVisible();
  await expect(page).toHaveURL(/\/projects\/new$/);

  await page.getByLabel("Title").fill("Taken id");
  await page.getByLabel("Project id").fill("demo-store");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText(/The project id “demo-store” is taken. Choose another, for example “demo-store-2”/)).toBeVisible();

  await page.goto("/projects");
  await expect(page.getByRole("link", { name: /Taken id/ })).toHaveCount(0);
});

test("rename, then delete after typing the project id", async ({ page }) => {
  const id = `rename-me-${uniqueSuffix()}`;
  await createProject(page, "Rename me", "Starter", id);
  await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Title").fill("Renamed store");
  await page.getByRole("button", { name: "Rename", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Project renamed." })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Renamed store", level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "Delete project" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this project?" });
  const confirm = dialog.getByRole("button", { name: "Delete project" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${id} to confirm`).fill(id);
  await confirm.click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByRole("link", { name: /Renamed store/ })).toHaveCount(0);
  expect((await page.goto(`/projects/${id}`))?.status()).toBe(404);
});
