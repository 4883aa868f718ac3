import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ADMIN } from "./support/accounts";
import { git } from "./support/git";
import { shoot } from "./support/shoot";
import { expect, test } from "./support/test";
import { newDeployedProject } from "./support/pages";

/**
 * A backup downloaded from one environment is imported into another's list through the Import
 * dialog: the file (24 MiB, past the 10 MB a proxied body may have) streams to the server, which
 * checks every entry while it arrives; a truncated copy is refused with a sentence and nothing is
 * listed. A git push of 16 MiB reaches the repository whole. Photographed at a desktop's and a
 * phone's width, light and dark (test-results/backup-import/).
 */
test("Download a backup, import it into another environment's backups (a damaged copy refused with a sentence); a 16 MiB push arrives whole", async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const { projectId, context, page } = await newDeployedProject(browser, "import", "Import");
  const dataDir = process.env.E2E_DATA_DIR!;
  const mount = path.join(dataDir, "volumes", projectId, "staging", "current", "mounts", "var");
  fs.mkdirSync(mount, { recursive: true });
  fs.writeFileSync(path.join(mount, "catalog.bin"), crypto.randomBytes(24 * 1024 * 1024));

  await page.goto(`/projects/${projectId}/environments/staging`);
  const backups = page.getByRole("region", { name: "Backups" });
  await backups.getByRole("button", { name: "Create snapshot" }).click();
  await page.getByRole("dialog", { name: "Snapshot staging" }).getByRole("button", { name: "Create snapshot" }).click();
  await page.keyboard.press("Escape");
  await expect(backups.getByText("Complete")).toBeVisible({ timeout: 60_000 });
  const downloading = page.waitForEvent("download");
  await backups.getByRole("link", { name: "Download" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${projectId}-staging-\\d{8}-\\d{4}\\.backup\\.tar$`));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-e2e-import-"));
  try {
    const file = path.join(work, download.suggestedFilename());
    await download.saveAs(file);
    const damaged = path.join(work, "damaged.backup.tar");
    fs.writeFileSync(damaged, fs.readFileSync(file).subarray(0, 20 * 1024 * 1024));

    // Into master's backups: the damaged copy first.
    await page.goto(`/projects/${projectId}/environments/master`);
    const masterBackups = page.getByRole("region", { name: "Backups" });
    await expect(masterBackups).toContainText("No snapshots yet.");
    await masterBackups.getByRole("button", { name: "Import" }).click();
    const dialog = page.getByRole("dialog", { name: "Import a backup into master" });
    await dialog.getByLabel("Backup archive").setInputFiles(damaged);
    await expect(dialog).toContainText("damaged.backup.tar · 20 MiB");
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await expect(dialog.getByRole("alert")).toContainText(/truncated.*Nothing was imported\./, { timeout: 30_000 });
    await shoot(page, "backup-import", "1-refused");
    await dialog.getByLabel("Backup archive").setInputFiles(file);
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await expect(dialog.getByTestId("activity-notice")).toHaveAttribute("data-result", "success", { timeout: 60_000 });
    await expect(dialog.getByTestId("activity-notice")).toContainText(`Import of ${download.suggestedFilename()} into the backups of master`);
    await page.keyboard.press("Escape");
    await expect(masterBackups.getByText("Complete")).toBeVisible();
    await expect(masterBackups).toContainText(/24(\.\d)? MiB of data/);
    await expect(masterBackups.getByRole("listitem")).toHaveCount(1);
    await shoot(page, "backup-import", "2-imported");

    // A push of 16 MiB: the git remote's body reaches its handler whole.
    await page.goto("/account");
    await page.getByLabel("Token name").fill("import-e2e");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("new-token").textContent())!.trim();
    const remote = new URL(`/git/${projectId}.git`, baseURL);
    remote.username = encodeURIComponent(ADMIN.email);
    remote.password = token;
    const clone = path.join(work, "clone");
    await git(["clone", "--quiet", remote.toString(), clone]);
    fs.writeFileSync(path.join(clone, "big.bin"), crypto.randomBytes(16 * 1024 * 1024));
    await git(["add", "big.bin"], clone);
    await git(["commit", "--quiet", "-m", "A big file"], clone);
    await git(["push", "--quiet", "origin", "HEAD:refs/heads/big-push"], clone);
    const sha = (await git(["rev-parse", "HEAD"], clone)).stdout.trim();
    expect((await git(["ls-remote", remote.toString(), "refs/heads/big-push"])).stdout).toContain(sha);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await context.close();
  }
});
