import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "@playwright/test";
import { ADMIN, ADMIN_STATE } from "./accounts";
import { git } from "./git";
import { createProject, uniqueSuffix, waitForIdle } from "./pages";

/**
 * As the administrator: a new Pro project (Root master → Production → Staging → Integration)
 * whose Integration is deployed and idle, with `branches` pushed under Integration through the
 * git remote in one push (each a new inactive environment: the 20 newest are drawn, marked new,
 * the others folded into one "N inactive" node).
 * Returns the project and a page signed in as the administrator.
 */
export async function newProProjectWithPushedBranches(browser: Browser, prefix: string, title: string, branches: string[]) {
  const projectId = `${prefix}-${uniqueSuffix()}`;
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await createProject(page, title, "Pro", projectId);
  await waitForIdle(page, projectId, "integration", 60_000);
  await page.goto("/account");
  await page.getByLabel("Token name").fill(`${prefix}-push`);
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  const remote = new URL(`/git/${projectId}.git`, page.url());
  remote.username = ADMIN.email;
  remote.password = token;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `pwi-e2e-${prefix}-`));
  try {
    await git(["clone", "--quiet", "--branch", "integration", remote.toString(), work]);
    for (const branch of branches) {
      await git(["checkout", "--quiet", "-b", branch, "integration"], work);
      fs.writeFileSync(path.join(work, `${branch}.txt`), `${branch}\n`);
      await git(["add", "."], work);
      await git(["commit", "--quiet", "-m", `Start ${branch}`], work);
    }
    await git(["push", "--quiet", "origin", ...branches], work); // one push: they arrive together
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { projectId, context, page };
}
