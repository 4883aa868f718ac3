import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./support/test";
import { ADMIN } from "./support/accounts";
import { git } from "./support/git";
import { createProject, signIn, uniqueSuffix, waitForIdle } from "./support/pages";

declare global {
  interface Window {
    /** Every text the Code panel's clone command showed, in order (recorded from the first paint). */
    cloneTexts?: string[];
  }
}

test("a newcomer on a Pro project: master explained, the clone command names integration at the browser's host from the first paint, a pushed branch is in sight and found", async ({ browser, baseURL }) => {
  test.setTimeout(240_000);
  // The browser uses 127.0.0.1 where the server calls itself localhost.
  const base = baseURL!.replace("//localhost:", "//127.0.0.1:");
  const host = new URL(base).host;
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.addInitScript(() => {
    const seen: string[] = [];
    window.cloneTexts = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="clone-command"]')?.textContent;
      if (text && text !== seen.at(-1)) seen.push(text);
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  await signIn(page, ADMIN.email, ADMIN.password);
  const projectId = `find-${uniqueSuffix()}`;
  await createProject(page, "Findable", "Pro", projectId);

  // The page the creation opened clones integration (where work starts), at the address the browser used.
  const remote = `http://${encodeURIComponent(ADMIN.email)}@${host}/git/${projectId}.git`;
  const cloneCommand = `git clone --branch integration ${remote} ${projectId}`;
  await expect(page.getByTestId("clone-command")).toBeVisible();
  expect(await page.evaluate(() => window.cloneTexts)).toEqual([cloneCommand]);

  // The tree says in one line what master is; it is not greyed out as a dead environment.
  const master = page.getByRole("link", { name: /^Master \(master\), Global master, Code only, never deploys/ });
  await expect(master).toBeVisible();
  await expect(page.getByTestId("global-master-note")).toHaveText(
    "Global master: holds the project's code and never deploys. Work starts on Integration; Production is deployed by merging Staging into it.",
  );

  // Activate master is refused with the reason; Production's Merge and Sync say it is the top of the path.
  await page.goto(`/projects/${projectId}/environments/master`);
  const activate = page.getByRole("toolbar").getByRole("button", { name: "Activate", exact: true });
  await expect(activate).toHaveAttribute("aria-disabled", "true");
  await expect(activate).toHaveAccessibleDescription(
    "master is this Pro project's code-only global master: it never deploys. Work on Integration; Production is deployed by merging Staging into it.",
  );
  await waitForIdle(page, projectId, "production", 90_000);
  await page.goto(`/projects/${projectId}/environments/production`);
  await expect(page.getByRole("toolbar").getByRole("button", { name: "Merge", exact: true })).toHaveAccessibleDescription(/^Production is the top of the promotion path: master above it is the code-only global master/);
  await expect(page.getByRole("toolbar").getByRole("button", { name: "Sync", exact: true })).toHaveAccessibleDescription(/^Production is the top of the promotion path/);
  // An environment's page clones its own branch.
  await expect(page.getByTestId("clone-command")).toHaveText(`git clone --branch production ${remote} ${projectId}`);

  // git clone without --branch lands on integration too (the repository's HEAD).
  await page.goto("/account");
  await page.getByLabel("Token name").fill("findable");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  const withToken = new URL(remote);
  withToken.password = token;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-findable-"));
  try {
    await git(["clone", "--quiet", withToken.toString(), work]);
    expect((await git(["branch", "--show-current"], work)).stdout.trim()).toBe("integration");
    await git(["checkout", "--quiet", "-b", "findme"], work);
    fs.writeFileSync(path.join(work, "findme.txt"), "here\n");
    await git(["add", "."], work);
    await git(["commit", "--quiet", "-m", "Find me"], work);
    await git(["push", "--quiet", "origin", "findme"], work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  // The pushed branch is in the tree at once, marked new, not folded behind "Show N inactive".
  await page.goto(`/projects/${projectId}`);
  await expect(page.getByRole("link", { name: /^findme \(findme\), new, Integration, Inactive/ })).toBeVisible();
  await expect(page.getByRole("button", { name: /^Show \d+ inactive/ })).toHaveCount(0);
  // Reloaded, the clone command is what it was: the same host from the server's first render on.
  await page.reload();
  await expect(page.getByTestId("clone-command")).toHaveText(cloneCommand);
  expect(new Set(await page.evaluate(() => window.cloneTexts))).toEqual(new Set([cloneCommand]));

  // The header's switcher lists it and finds it by a part of its name; its own page names it, not "Choose".
  const switcher = page.getByRole("button", { name: /^Environment/ });
  await switcher.click();
  const menu = page.getByRole("menu");
  await expect(menu.getByRole("menuitem", { name: /findme/ })).toBeVisible();
  await menu.getByLabel("Find an environment by name or title").fill("ndm");
  await expect(menu.getByRole("menuitem", { name: /Staging/ })).toHaveCount(0);
  await menu.getByRole("menuitem", { name: /findme/ }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/findme$`));
  await expect(switcher).toHaveAccessibleName("Environment: findme. Switch environment");
  await page.reload();
  await expect(page.getByRole("button", { name: /^Environment/ })).toHaveAccessibleName("Environment: findme. Switch environment");

  // On a phone, the Menu's sheet lists and finds it the same way.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/projects/${projectId}/environments/staging`);
  await page.getByRole("button", { name: /^Menu/ }).click();
  const sheetEnvironments = page.getByRole("dialog").getByRole("navigation", { name: /^Environments of/ });
  await sheetEnvironments.getByLabel("Find an environment by name or title").fill("ndm");
  await expect(sheetEnvironments.getByRole("link", { name: /Staging/ })).toHaveCount(0);
  await sheetEnvironments.getByRole("link", { name: /findme/ }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/environments/findme$`));

  // The switcher's search: the inactive ones matching, newest first; refused when too long; not another's project.
  const found = await page.request.get(`/api/projects/${projectId}/environment-choices?q=FINDM`);
  expect(await found.json()).toMatchObject({ environments: [{ name: "findme", status: "inactive" }], more: false });
  expect((await (await page.request.get(`/api/projects/${projectId}/environment-choices?q=${encodeURIComponent("%_")}`)).json()).environments).toEqual([]);
  expect((await page.request.get(`/api/projects/${projectId}/environment-choices?q=${"x".repeat(101)}`)).status()).toBe(400);
  expect((await page.request.get(`/api/projects/no-such-project/environment-choices?q=a`)).status()).toBe(404);
  expect((await browser.newContext({ baseURL: base }).then((c) => c.request.get(`/api/projects/${projectId}/environment-choices`))).status()).toBe(401);
  await context.close();
});
