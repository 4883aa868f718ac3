import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { git } from "./support/git";
import { createProject, uniqueSuffix, waitForIdle } from "./support/pages";

test("a newcomer clones from the Code panel, pushes a branch to a Pro project, reads what happened on the terminal, activates it and sees the commits", async ({ browser }) => {
  test.setTimeout(180_000);
  const projectId = `onb-${uniqueSuffix()}`;
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await createProject(page, "Onboarding", "Pro", projectId);
  await waitForIdle(page, projectId, "integration", 60_000);

  // The Code panel names the remote for this user; the token page's new token has a Copy button.
  await page.goto(`/projects/${projectId}/environments/integration`);
  const remoteText = (await page.getByTestId("git-remote").textContent())!;
  expect(remoteText).toMatch(new RegExp(`^http://admin%40example\\.com@[^/]+/git/${projectId}\\.git$`));
  await expect(page.getByTestId("clone-command")).toHaveText(new RegExp(`^git clone --branch integration `));
  await page.goto("/account");
  await page.getByLabel("Token name").fill("onboarding");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  await expect(page.getByRole("button", { name: "Copy new api token" })).toBeVisible();

  const remote = new URL(remoteText);
  remote.password = token;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-onboarding-"));
  try {
    await git(["clone", "--quiet", "--branch", "integration", remote.toString(), work]);
    await git(["checkout", "--quiet", "-b", "feature-x"], work);
    fs.writeFileSync(path.join(work, "feature.txt"), "x\n");
    await git(["add", "."], work);
    await git(["commit", "--quiet", "-m", "Add the feature"], work);
    const first = await git(["push", "origin", "feature-x"], work);
    expect(first.stderr).toContain("remote: feature-x: new environment under integration, inactive. Activate it in the console, or push with -o environment.status=active.");

    // On Pro it hangs under Integration, so Activate works at once.
    await page.goto(`/projects/${projectId}/environments/feature-x`);
    await page.getByRole("toolbar").getByRole("button", { name: "Activate", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Activate" }).click();
    await expect(page.getByRole("dialog").getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
    await waitForIdle(page, projectId, "feature-x");

    // A push to an active environment deploys, and the terminal names the log; the activity lists the commits.
    fs.writeFileSync(path.join(work, "feature.txt"), "y\n");
    await git(["commit", "--quiet", "-am", "Improve the feature"], work);
    const sha = (await git(["rev-parse", "HEAD"], work)).stdout.trim();
    const second = await git(["push", "origin", "feature-x"], work);
    const log = new RegExp(`remote: feature-x: deploying ${sha.slice(0, 7)}\\. Log: (http\\S+/projects/${projectId}/activities/[0-9a-f-]{36})`).exec(second.stderr);
    expect(log, second.stderr).not.toBeNull();
    await page.goto(new URL(log![1]!).pathname);
    await expect(page.getByRole("list", { name: "Commits brought in" })).toContainText("Improve the feature");
    await expect(page.getByText("Activity completed successfully.")).toBeVisible({ timeout: 60_000 });

    // -o environment.status=active over the plan's limit: the branch lands, inactive, and the terminal says why
    // (e2e/git-remote.spec.ts sees it activate where there is room).
    await git(["checkout", "--quiet", "-b", "opt-in"], work);
    const third = await git(["push", "-o", "environment.status=active", "-o", "environment.title=Opt in", "origin", "opt-in"], work);
    expect(third.stderr).toContain("remote: opt-in: new environment under integration, inactive: not activated — Pro allows 2 active Integration environments (integration, feature-x): deactivate one first.");
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await context.close();
  }
});
