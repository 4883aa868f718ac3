import { expect, test } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { addUser, createProject, signIn, uniqueSuffix } from "./support/pages";

test("a user who is not a member gets 404 on the project's URLs and never sees it", async ({ browser }) => {
  const suffix = uniqueSuffix();
  const projectId = `private-${suffix}`;
  const member = { email: `second-${suffix}@example.com`, password: "second-password-1" };

  const adminContext = await browser.newContext({ storageState: ADMIN_STATE });
  const admin = await adminContext.newPage();
  await createProject(admin, "Private store", "Pro", projectId);
  await expect(admin).toHaveURL(new RegExp(`/projects/${projectId}$`));

  await addUser(admin, { name: "Second User", ...member });
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
  // Nor its APIs, the folded environments' list included (another project's id is not a key).
  for (const path of ["/overview", "/hierarchy", "/environments?status=inactive", "/environment-choices"]) {
    expect((await page.request.get(`/api/projects/${projectId}${path}`)).status(), path).toBe(404);
  }
  await context.close();
});

test("a project admin grants access; the member sees the project but cannot manage it", async ({ browser }) => {
  const suffix = uniqueSuffix();
  const projectId = `shared-${suffix}`;
  const member = { email: `member-${suffix}@example.com`, password: "member-password-1" };

  const adminContext = await browser.newContext({ storageState: ADMIN_STATE });
  const admin = await adminContext.newPage();
  await addUser(admin, { name: "Mia Member", ...member });

  await createProject(admin, "Shared store", "Starter", projectId);
  await admin.getByRole("link", { name: "Access" }).click();
  await expect(admin).toHaveTitle("Access · Shared store · Project Web Interface");
  const addForm = admin.getByRole("region", { name: "Add a member" });
  await addForm.getByLabel("Email").fill("nobody-at-all@example.com");
  await addForm.getByRole("button", { name: "Add member" }).click();
  await expect(addForm.getByText("No account has this email.")).toBeVisible();

  await addForm.getByLabel("Email").fill(member.email);
  await addForm.getByLabel("Project role").selectOption("viewer");
  await addForm.getByLabel("Production environments").selectOption("none");
  await addForm.getByLabel("Integration environments").selectOption("contributor");
  await addForm.getByRole("button", { name: "Add member" }).click();
  const row = admin.getByRole("listitem", { name: "Mia Member" });
  await expect(row).toBeVisible();
  await expect(row.getByLabel("Production environments")).toHaveValue("none");
  await expect(row.getByLabel("Integration environments")).toHaveValue("contributor");
  await adminContext.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: /Shared store/ }).click();
  await expect(page.getByRole("heading", { name: "Shared store", level: 1 })).toBeVisible();
  // No access to Production: it is not listed, and its pages answer 404.
  await expect(page.getByRole("link", { name: /^Staging \(staging\)/ })).toBeVisible();
  await expect(page.getByRole("link", { name: /^Production \(master\)/ })).toHaveCount(0);
  expect((await page.goto(`/projects/${projectId}/environments/master`))?.status()).toBe(404);
  expect((await page.goto(`/projects/${projectId}/environments/staging`))?.status()).toBe(200);
  // The same for every API that names an environment (its type decides, not only the page).
  for (const path of [`/overview?environment=master`, `/activities?environment=master`, `/environments/master/snapshots`, `/environments/master/topology`]) {
    const url = path.endsWith("/topology") ? `/projects/${projectId}${path}` : `/api/projects/${projectId}${path}`;
    expect((await page.request.get(url)).status(), url).toBe(404);
  }
  expect((await page.request.get(`/api/projects/${projectId}/environments/staging/snapshots`)).status()).toBe(200);
  await page.goto(`/projects/${projectId}`);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByText("Only a project admin can change these settings.").first()).toBeVisible();
  await expect(page.getByLabel("Title")).toBeDisabled();
  await expect(page.getByRole("button", { name: "Delete project" })).toBeDisabled();
  await page.getByRole("link", { name: "Access" }).click();
  await expect(page.getByText("Only a project admin can change who has access to this project.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Add member" })).toHaveCount(0);
  await context.close();
});
