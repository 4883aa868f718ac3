import { expect, test } from "@playwright/test";
import { ADMIN_STATE } from "./support/accounts";
import { createProject, signIn, uniqueSuffix } from "./support/pages";

test("a user who is not a member gets 404 on the project's URLs and never sees it", async ({ browser }) => {
  const suffix = uniqueSuffix();
  const projectId = `private-${suffix}`;
  const member = { email: `second-${suffix}@example.com`, password: "second-password-1" };

  const adminContext = await browser.newContext({ storageState: ADMIN_STATE });
  const admin = await adminContext.newPage();
  await createProject(admin, "Private store", "Pro", projectId);
  await expect(admin).toHaveURL(new RegExp(`/projects/${projectId}$`));

  await admin.goto("/admin/users");
  await admin.getByLabel("Name").fill("Second User");
  await admin.getByLabel("Email").fill(member.email);
  await admin.getByLabel("Initial password").fill(member.password);
  await admin.getByRole("button", { name: "Add user" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "User added." })).toBeVisible();
  await expect(admin.getByRole("cell", { name: member.email })).toBeVisible();
  await adminContext.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, member.email, member.password);
  await expect(page.getByRole("heading", { name: "No projects yet" })).toBeVisible();
  await expect(page.getByText("Private store")).toHaveCount(0);

  for (const path of [`/projects/${projectId}`, `/projects/${projectId}/settings`, "/projects/new", "/admin/users"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(page.getByText("Private store")).toHaveCount(0);
  }
  const api = await page.request.get("/api/projects");
  expect(await api.json()).toEqual({ projects: [] });
  await context.close();
});
