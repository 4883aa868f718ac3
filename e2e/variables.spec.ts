import { expect, test } from "@playwright/test";
import { newDeployedProject, waitForIdle } from "./support/pages";

test("a project variable and an environment override: labels, a write-only sensitive value, 'redeploy to apply' until Redeploy", async ({ browser }) => {
  test.setTimeout(120_000);
  const { projectId, context, page } = await newDeployedProject(browser, "vars", "Variables");

  await page.goto(`/projects/${projectId}/settings`);
  const projectSection = page.getByRole("region", { name: "Project variables" });
  await projectSection.getByLabel("Name").fill("env:GREETING");
  await projectSection.getByLabel("Value").fill("hello-project");
  await projectSection.getByRole("button", { name: "Add variable" }).click();
  await expect(projectSection.getByRole("list", { name: "Project variables" })).toContainText("hello-project");
  // Bad input: a name with a space is refused and what was typed stays.
  await projectSection.getByLabel("Name").fill("HAS SPACE");
  await projectSection.getByLabel("Value").fill("kept");
  await projectSection.getByRole("button", { name: "Add variable" }).click();
  await expect(projectSection.getByText("A name has no spaces, control or invisible characters")).toBeVisible();
  await expect(projectSection.getByLabel("Value")).toHaveValue("kept");

  await page.goto(`/projects/${projectId}/environments/staging`);
  const envSection = page.getByRole("region", { name: "Variables" });
  await expect(envSection.getByText("Variables changed — redeploy to apply.")).toBeVisible();
  await envSection.getByLabel("Name").fill("env:GREETING");
  await envSection.getByLabel("Value").fill("hello-staging");
  await envSection.getByRole("button", { name: "Add variable" }).click();
  const list = envSection.getByRole("list", { name: "Variables of staging" });
  await expect(list.getByRole("listitem").filter({ hasText: "hello-staging" })).toContainText("Set here");
  await expect(list.getByRole("listitem").filter({ hasText: "hello-project" })).toContainText("Inactive: staging sets it");
  await envSection.getByLabel("Name").fill("env:TOKEN");
  await envSection.getByLabel("Value").fill("super-secret-token-value");
  await envSection.getByLabel("Sensitive (write-only)").check();
  await envSection.getByRole("button", { name: "Add variable" }).click();
  await expect(list.getByRole("listitem").filter({ hasText: "env:TOKEN" })).toContainText("•••• (sensitive)");
  expect(await page.content()).not.toContain("super-secret-token-value");

  // Edit: disabling staging's own definition brings the project's back.
  await list.getByRole("button", { name: "Edit env:GREETING" }).click();
  const edit = list.getByRole("form", { name: "Edit env:GREETING" });
  await expect(edit.getByLabel("Value")).toHaveValue("hello-staging");
  await edit.getByLabel("Enabled").uncheck();
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(list.getByRole("listitem").filter({ hasText: "hello-staging" })).toContainText("Disabled");
  await expect(list.getByRole("listitem").filter({ hasText: "hello-project" })).toContainText("Project");

  await page.getByRole("toolbar").getByRole("button", { name: "Redeploy", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Redeploy" }).click();
  await expect(page.getByRole("dialog").getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
  await waitForIdle(page, projectId, "staging");
  await page.reload();
  await expect(page.getByRole("region", { name: "Variables" }).getByText("Variables changed — redeploy to apply.")).toHaveCount(0);
  await context.close();
});
