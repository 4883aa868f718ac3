import { expect, test, type Page } from "./support/test";
import { newDeployedProject } from "./support/pages";

/** How much wider than the viewport the page is (0 when it fits). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test("at 390×844 and 360×740 no page is wider than the phone, the header collapses into a menu that opens on screen, and dialogs fit", async ({ browser }) => {
  test.setTimeout(150_000);
  const { projectId, context, page } = await newDeployedProject(browser, "phone", "Phone Shop with a rather long title");
  await page.setViewportSize({ width: 360, height: 740 });
  const activityHref = await (async () => {
    await page.goto(`/projects/${projectId}/environments/staging`);
    return page.locator("a[href*='/activities/']").first().getAttribute("href");
  })();
  const pages = [
    "/projects",
    "/projects/new",
    `/projects/${projectId}`,
    `/projects/${projectId}/environments/staging`,
    `/projects/${projectId}/environments/master`,
    `/projects/${projectId}/environments/staging/topology`,
    `/projects/${projectId}/environments/staging/settings`,
    `/projects/${projectId}/environments/staging/mailbox`,
    `/projects/${projectId}/environments/staging/logs?log=deploy`,
    activityHref!,
    `/projects/${projectId}/access`,
    `/projects/${projectId}/settings`,
    "/account",
    "/admin/users",
  ];
  const wide: string[] = [];
  for (const [width, height] of [[390, 844], [360, 740]] as const) {
    await page.setViewportSize({ width, height });
    for (const path of pages) {
      await page.goto(path);
      await expect(page.locator("main h1").first()).toBeVisible();
      const extra = await overflow(page);
      if (extra > 0) wide.push(`${path} at ${width} px: ${extra} px too wide`);
    }
  }
  expect(wide).toEqual([]);

  // The header collapses into where you are and one Menu button; its sheet opens inside the screen
  // and holds the environment and project switchers and the account links.
  await page.goto(`/projects/${projectId}/environments/staging`);
  await expect(page.getByRole("button", { name: /Account menu/ })).toBeHidden();
  await expect(page.getByRole("button", { name: /^Environment:/ })).toBeHidden();
  const menuButton = page.getByRole("button", { name: /^Menu \(you are in Phone Shop.* \/ Staging\)$/ });
  await menuButton.click();
  const sheet = page.getByRole("dialog");
  await expect(sheet).toBeVisible();
  const box = (await sheet.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(360);
  expect(await overflow(page)).toBeLessThanOrEqual(0);
  const environments = sheet.getByRole("navigation", { name: /^Environments of/ });
  await expect(environments.getByRole("link", { name: /Staging/ })).toHaveAttribute("aria-current", "page");
  await expect(sheet.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Account and API tokens" })).toBeVisible();
  await expect(sheet.getByRole("button", { name: "Sign out" })).toBeVisible();
  await environments.getByRole("link", { name: /Production/ }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/master$`));
  await expect(sheet).toBeHidden();
  await expect(page.getByRole("button", { name: /^Menu \(you are in .* \/ Production\)$/ })).toBeVisible();
  // Keyboard: the sheet opens from the button and Escape closes it.
  await page.getByRole("button", { name: /^Menu/ }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toBeHidden();
  await expect(page.getByRole("button", { name: /^Menu/ })).toBeFocused();
  await page.goto(`/projects/${projectId}/environments/staging`);

  // Dialogs fit, buttons included.
  for (const action of ["Sync", "Branch"]) {
    await page.getByRole("button", { name: action, exact: true }).click({ force: true });
    const dialog = page.getByRole("dialog");
    if (!(await dialog.isVisible())) continue; // an action this environment cannot take shows its reason instead
    const box = (await dialog.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    for (const button of await dialog.getByRole("button").all()) {
      const b = (await button.boundingBox())!;
      expect(b.x + b.width, `${action}: ${await button.textContent()}`).toBeLessThanOrEqual(360);
      expect(b.y + b.height, `${action}: ${await button.textContent()}`).toBeLessThanOrEqual(740);
    }
    await page.keyboard.press("Escape");
  }
  await context.close();
});
