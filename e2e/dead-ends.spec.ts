import { expect, test } from "./support/test";
import { branchFrom, newDeployedProject, waitForIdle } from "./support/pages";

test("a branch over the plan's limit says it was created inactive, dialogs follow their activity to the end and reopen afresh, Delete lands on the parent", async ({ browser }) => {
  test.setTimeout(180_000);
  const { projectId, context, page } = await newDeployedProject(browser, "ends", "Dead ends");
  // Fill Starter's active environments: master, staging and two branches.
  await branchFrom(page, projectId, "staging", "one");
  await branchFrom(page, projectId, "staging", "two");

  // Sync from a parent with nothing new: Code is not pre-ticked, and asking for it anyway is refused with the reason.
  await page.goto(`/projects/${projectId}/environments/two`);
  await page.getByRole("toolbar").getByRole("button", { name: "Sync", exact: true }).click();
  const sync = page.getByRole("dialog");
  await expect(sync.getByRole("checkbox", { name: /^Code:/ })).not.toBeChecked();
  await expect(sync.getByText("nothing to bring: two has every commit of staging")).toBeVisible();
  await expect(sync.getByRole("checkbox", { name: /^Rebase/ })).toHaveCount(0);
  await sync.getByRole("checkbox", { name: /^Code:/ }).check();
  await sync.getByRole("button", { name: "Sync" }).click();
  await expect(sync.getByText("two already has every commit of staging: there is no code to sync.")).toBeVisible();
  await page.keyboard.press("Escape");
  await page.goto(`/projects/${projectId}/environments/staging`);

  // Starter's active environments are all in use: the new one is created inactive, and the dialog says so in words.
  await page.getByRole("toolbar").getByRole("button", { name: "Branch", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("extra");
  await dialog.getByRole("button", { name: "Branch" }).click();
  const notice = dialog.getByTestId("activity-notice");
  await expect(notice).toHaveAttribute("data-state", "complete", { timeout: 30_000 });
  await expect(notice).toContainText(/Completed: Branch extra from staging, created inactive: the Starter plan allows \d+ active environments/);
  await expect(notice.getByRole("link", { name: "Open its log" })).toBeVisible();
  await page.keyboard.press("Escape");
  // Opened again, the dialog is a fresh form, not the last notice.
  await page.getByRole("toolbar").getByRole("button", { name: "Branch", exact: true }).click();
  await expect(dialog.getByLabel("Name")).toHaveValue("");
  await expect(dialog.getByTestId("activity-notice")).toHaveCount(0);
  await page.keyboard.press("Escape");

  // A branch made in the last hour is not folded: the project page shows it in the tree, marked "new"
  // (older inactive ones fold: lib/environments/overview.int.test.ts; e2e/newcomer-findable.spec.ts unfolds them).
  await page.goto(`/projects/${projectId}`);
  await expect(page.getByRole("link", { name: /^extra \(extra\), new, Integration, Inactive/ })).toBeVisible();
  await expect(page.getByRole("button", { name: /^Show \d+ inactive/ })).toHaveCount(0);
  // From another page, the switcher finds it by name and opens it.
  await page.goto(`/projects/${projectId}/environments/staging`);
  await page.getByRole("button", { name: /^Environment/ }).click();
  await page.getByRole("menu").getByLabel("Find an environment by name or title").fill("xtr");
  await page.getByRole("menu").getByRole("menuitem", { name: /extra/ }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/extra$`));
  await expect(page.getByRole("button", { name: /^Environment/ })).toContainText("extra");
  // Edit offers the folded inactive environment as a parent too (loaded when the dialog opens).
  await page.goto(`/projects/${projectId}/environments/two`);
  await page.getByRole("toolbar").getByRole("button", { name: "Edit", exact: true }).click();
  await expect(page.getByRole("dialog").getByLabel("Parent").locator("option", { hasText: /^extra$/ })).toHaveCount(1);
  await page.keyboard.press("Escape");
  // Its API names what to ask for, and a project the user is not in is not found.
  expect((await page.request.get(`/api/projects/${projectId}/environments?status=active`)).status()).toBe(400);
  expect((await page.request.get(`/api/projects/no-such-project/environments?status=inactive`)).status()).toBe(404);

  // Delete ends on the parent's page, which says what is happening; the switcher no longer offers it.
  await page.goto(`/projects/${projectId}/environments/extra`);
  await page.getByRole("toolbar").getByRole("button", { name: "Delete", exact: true }).click();
  await dialog.getByLabel("Type extra to delete it").fill("extra");
  await dialog.getByRole("button", { name: "Delete environment and branch" }).click();
  // The notice follows the Delete to its end; the address keeps no parameter that would show it again.
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/staging$`), { timeout: 30_000 });
  const deletedNotice = page.getByTestId("deleted-notice");
  await expect(deletedNotice).toContainText("extra was deleted", { timeout: 30_000 });
  await expect(deletedNotice.getByRole("link", { name: "Open its log" })).toHaveAttribute("href", new RegExp(`/projects/${projectId}/activities/[0-9a-f-]{36}$`));
  await page.getByRole("button", { name: /^Environment/ }).click();
  await expect(page.getByRole("menu")).toBeVisible();
  await expect(page.getByRole("menu").getByRole("menuitem", { name: /extra/ })).toHaveCount(0);
  await page.keyboard.press("Escape");
  await waitForIdle(page, projectId, "staging");
  await page.reload();
  await expect(deletedNotice).toHaveCount(0);

  // The hierarchy graph opens with every visible environment in view, the deepest included.
  await page.goto(`/projects/${projectId}`);
  await page.getByRole("button", { name: "Hierarchy graph" }).click();
  const figure = page.getByRole("figure", { name: "Environment hierarchy graph" });
  await expect(figure.locator(".react-flow__node").first()).toBeVisible();
  const box = (await figure.boundingBox())!;
  await expect(async () => {
    for (const node of await figure.locator(".react-flow__node").all()) {
      const b = (await node.boundingBox())!;
      expect(b.x >= box.x - 1 && b.y >= box.y - 1 && b.x + b.width <= box.x + box.width + 1 && b.y + b.height <= box.y + box.height + 1, await node.getAttribute("aria-label") ?? "").toBe(true);
    }
  }).toPass({ timeout: 5_000 });
  await page.getByRole("button", { name: "Hierarchy graph" }).click(); // back to the tree for the next test
  await context.close();
});
