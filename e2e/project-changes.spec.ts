import { expect, test, type Page } from "./support/test";
import { addUser, newDeployedProject, uniqueSuffix } from "./support/pages";

/** A mark on the document: a reload would lose it. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { stillThisPage: boolean }).stillThisPage = true));
const stillMarked = (page: Page) => page.evaluate(() => (window as unknown as { stillThisPage?: boolean }).stillThisPage === true);

test("changes made in another tab (an environment's title, members, invitations) reach an open page through the project's event stream, without a reload", async ({ browser }) => {
  test.setTimeout(120_000);
  const suffix = uniqueSuffix();
  const member = { name: `Mo Member ${suffix}`, email: `mo-${suffix}@example.com`, password: "member-password-1" };
  const { projectId, context, page: other } = await newDeployedProject(browser, "changes", "Changes store");
  await addUser(other, member);
  const watcher = await context.newPage();

  // An environment's title, edited in the other tab.
  await watcher.goto(`/projects/${projectId}/environments/staging`);
  await mark(watcher);
  await other.goto(`/projects/${projectId}/environments/staging`);
  await other.getByRole("toolbar").getByRole("button", { name: "Edit", exact: true }).click();
  await other.getByRole("dialog").getByLabel("Title").fill("Stage two");
  await other.getByRole("dialog").getByRole("button", { name: "Save" }).click();
  await expect(other.getByRole("dialog").getByText("Saved.")).toBeVisible();
  await other.keyboard.press("Escape");
  await expect(other.getByRole("heading", { name: "Stage two", level: 1 })).toBeVisible();
  await expect(watcher.getByRole("heading", { name: "Stage two", level: 1 })).toBeVisible({ timeout: 10_000 });
  expect(await stillMarked(watcher)).toBe(true);

  // Members and invitations, changed on the Access page of the other tab.
  await watcher.goto(`/projects/${projectId}/access`);
  await mark(watcher);
  await other.goto(`/projects/${projectId}/access`);
  const add = other.getByRole("region", { name: "Add a member" });
  await add.getByLabel("Email").fill(member.email);
  await add.getByRole("button", { name: "Add member" }).click();
  await expect(other.getByRole("listitem", { name: member.name })).toBeVisible();
  await expect(watcher.getByRole("listitem", { name: member.name })).toBeVisible({ timeout: 10_000 });

  const invitee = `invitee-${suffix}@example.com`;
  await other.getByLabel("Email to invite").fill(invitee);
  await other.getByRole("button", { name: "Create invitation link" }).click();
  await expect(other.getByRole("list", { name: "Pending invitations" })).toContainText(invitee);
  await expect(watcher.getByRole("list", { name: "Pending invitations" })).toContainText(invitee, { timeout: 10_000 });
  await other.getByRole("button", { name: `Withdraw the invitation for ${invitee}` }).click();
  await expect(other.getByText("No pending invitations.")).toBeVisible();
  await expect(watcher.getByText("No pending invitations.")).toBeVisible({ timeout: 10_000 });

  await other.getByRole("button", { name: `Remove ${member.name}` }).click();
  await expect(other.getByRole("listitem", { name: member.name })).toHaveCount(0);
  await expect(watcher.getByRole("listitem", { name: member.name })).toHaveCount(0, { timeout: 10_000 });
  expect(await stillMarked(watcher)).toBe(true);
  await context.close();
});
