import { expect, test } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { addUser, createProject, signIn, signOut, uniqueSuffix } from "./support/pages";

test("a project page comes from the page cache until something on it changes, and never to another session", async ({ browser }) => {
  const suffix = uniqueSuffix();
  const id = `cached-${suffix}`;
  const other = { email: `other-${suffix}@example.com`, password: "other-password-1" };
  const adminContext = await browser.newContext({ storageState: ADMIN_STATE });
  const admin = await adminContext.newPage();
  await addUser(admin, { name: "Other User", ...other });
  await createProject(admin, "Cached store", "Starter", id);
  await expect(admin).toHaveURL(new RegExp(`/projects/${id}$`));

  // Twice in a row, until the second answer is the kept page (the suite's other tests write meanwhile).
  await expect
    .poll(async () => {
      await admin.request.get(`/projects/${id}`);
      return (await admin.request.get(`/projects/${id}`)).headers()["x-page-cache"];
    }, { timeout: 30_000 })
    .toBe("hit");

  // Another user's session gets its own answer: 404, not the kept page.
  const otherContext = await browser.newContext();
  const otherPage = await otherContext.newPage();
  await signIn(otherPage, other.email, other.password);
  const foreign = await otherPage.request.get(`/projects/${id}`);
  expect(foreign.status()).toBe(404);
  expect(await foreign.text()).not.toContain("Cached store");

  // A rename shows on the next load: the change dropped the kept page.
  await admin.goto(`/projects/${id}/settings`);
  await admin.getByLabel("Title").fill("Cached store renamed");
  await admin.getByRole("button", { name: "Rename", exact: true }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Project renamed." })).toBeVisible();
  const renamed = await admin.request.get(`/projects/${id}`);
  expect(await renamed.text()).toContain("Cached store renamed");
  await admin.goto(`/projects/${id}`);
  await expect(admin.getByRole("heading", { name: "Cached store renamed", level: 1 })).toBeVisible();

  await adminContext.close();

  // Hostile: the cookie of a signed-out session, sent again, gets the sign-in page, not the kept one.
  await expect.poll(async () => (await otherPage.request.get("/projects")).headers()["x-page-cache"], { timeout: 30_000 }).toBe("hit");
  const cookies = await otherContext.cookies();
  await otherPage.goto("/projects");
  await signOut(otherPage);
  const replayContext = await browser.newContext();
  await replayContext.addCookies(cookies);
  const replayed = await replayContext.request.get("/projects", { maxRedirects: 0 });
  expect(replayed.status()).toBe(307);
  expect(replayed.headers()["location"]).toContain("/sign-in");
  await replayContext.close();
  await otherContext.close();
});
