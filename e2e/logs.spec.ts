import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./support/test";
import { ADMIN, ADMIN_STATE, E2E_SECRET } from "./support/accounts";
import { commitInRepository } from "./support/git";
import { addUser, branchFrom, createProject, expectLogLine, signIn, uniqueSuffix, waitForIdle } from "./support/pages";

/** Server-Sent Events of a finished activity's stream, parsed. */
function parseSse(body: string) {
  return body
    .split("\n\n")
    .filter((b) => b.includes("data: "))
    .map((b) => ({
      id: /^id: (\d+)$/m.exec(b)?.[1],
      event: /^event: (\w+)$/m.exec(b)?.[1] ?? "message",
      data: JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as Record<string, unknown>,
    }));
}

test("a deploy's lines appear while its hook still runs; the log resumes after a line, seals, and never shows a redacted value", async ({ browser, baseURL, request }) => {
  test.setTimeout(150_000);
  const projectId = `logs-${uniqueSuffix()}`;
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await createProject(page, "Log store", "Starter", projectId);
  await waitForIdle(page, projectId, "staging");
  await branchFrom(page, projectId, "staging", "slow");

  // Staging gets a build hook that prints, then sleeps; syncing `slow` deploys it.
  await commitInRepository(
    projectId,
    "staging",
    (dir) => {
      const file = path.join(dir, ".magento.app.yaml");
      const yaml = fs.readFileSync(file, "utf8");
      fs.writeFileSync(
        file,
        yaml.replace(
          'set -e\n    echo "Building',
          `set -e\n    echo "order one"; echo "order two"; echo "order three on stderr" >&2; echo "order four"\n    echo "slow build starts token=${E2E_SECRET}"; sleep 6; echo "slow build ends"\n    echo "Building`,
        ),
      );
    },
    "A slow build",
  );
  await page.goto(`/projects/${projectId}/environments/slow`);
  await page.getByRole("button", { name: "Sync" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sync" }).click();
  await page.getByRole("dialog").getByRole("link", { name: "Open its log" }).click();
  await page.waitForURL(/\/activities\//, { timeout: 30_000 });
  const log = page.getByRole("log", { name: "Activity log" });

  // The line is there while the hook sleeps: the activity is still running, the last line not yet written.
  await expect(log).toContainText("slow build starts token=******", { timeout: 20_000 });
  await expect(page.getByText("Running", { exact: true })).toBeVisible();
  await expect(log).not.toContainText("slow build ends");
  await expect(page.getByText("Live", { exact: true })).toBeVisible();

  // The connection drops while the hook sleeps; the viewer reconnects and resumes after its last line.
  await context.setOffline(true);
  await page.waitForTimeout(1500);
  await context.setOffline(false);

  // The seal arrives and the stream says so.
  await expect(page.getByText("Complete log")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("Success", { exact: true })).toBeVisible();
  // Who started it: the name, and the e-mail address on a line of its own.
  const startedBy = page.locator("dt", { hasText: "Started by" }).locator("xpath=following-sibling::dd");
  await expect(startedBy.locator("span")).toHaveText([ADMIN.name, ADMIN.email]);
  const shownLive = await page.locator("dt", { hasText: "Lines" }).locator("xpath=following-sibling::dd").textContent();
  // The user started it, so a notice says it ended, with a link to its log.
  await expect(page.getByRole("region", { name: "Notifications" })).toContainText("Completed: Sync code from staging into slow.", { timeout: 10_000 });
  await expectLogLine(page, "slow build ends");
  expect(await page.content()).not.toContain(E2E_SECRET);

  // Line links highlight and survive a reload.
  const url = page.url().replace(/#.*$/, "");
  await page.goto(`${url}#L2-L3`);
  await expect(page.locator("#L2")).toHaveClass(/bg-/);
  await page.reload();
  await expect(page.locator("#L3")).toHaveClass(/bg-/);
  await expect(page.locator("#L4")).not.toHaveClass(/bg-/);
  await expect(page.getByRole("button", { name: "Copy lines" })).toBeVisible();

  // NDJSON, SSE from the start and after a line, and the download: contiguous, sealed, redacted.
  const streamUrl = `${baseURL}/api/projects/${projectId}/activities/${url.split("/").at(-1)}/log`;
  const ndjson = await (await page.request.get(`${streamUrl}?format=ndjson&follow=0`)).text();
  expect(ndjson).not.toContain(E2E_SECRET);
  expect(ndjson).toContain("token=******");
  const objects = ndjson.trim().split("\n").map((l) => JSON.parse(l) as { type: string; n?: number });
  const numbers = objects.filter((o) => o.type === "line").map((o) => o.n);
  expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
  expect(objects.at(-1)).toMatchObject({ type: "seal", state: "complete", result: "success", lines: numbers.length });
  // A hook's stdout and stderr lines stay in the order it wrote them.
  const texts = objects.filter((o) => o.type === "line").map((o) => (o as { line?: { text: string } }).line?.text ?? (o as { text?: string }).text);
  const order = ["order one", "order two", "order three on stderr", "order four"].map((line) => texts.indexOf(line));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect(order).toEqual([...order].sort((a, b) => a - b));
  expect(order[3]! - order[0]!).toBe(3);

  // The live page held every line exactly once, across the disconnect.
  expect(Number(shownLive!.replace(/,/g, ""))).toBe(numbers.length);

  const all = parseSse(await (await page.request.get(streamUrl)).text());
  expect(all.filter((e) => e.event === "line").map((e) => Number(e.id))).toEqual(numbers);
  const resumed = parseSse(await (await page.request.get(streamUrl, { headers: { "Last-Event-ID": "3" } })).text());
  expect(resumed.filter((e) => e.event === "line").map((e) => Number(e.id))).toEqual(numbers.slice(3));
  expect(resumed.at(-1)).toMatchObject({ event: "seal", data: { state: "complete", result: "success" } });

  const download = await page.request.get(`${streamUrl}?format=text`);
  expect(download.headers()["content-disposition"]).toMatch(/^attachment; filename="slow-synchronize-/);
  const text = await download.text();
  expect(text).toContain("slow build starts token=******");
  expect(text).not.toContain(E2E_SECRET);

  // The environment's activity stream: recent first, filters, an empty result said in words.
  await page.goto(`/projects/${projectId}/environments/slow`);
  const recent = page.getByRole("region", { name: "Recent activities" });
  await expect(recent.getByRole("link").first()).toContainText("Sync code from staging into slow");
  await expect(recent.getByRole("link").first()).toContainText(/build \d|build reused/);
  await page.getByRole("group", { name: "Filter activities" }).getByLabel("Result").selectOption("failure");
  await expect(page.getByText("No activity matches these filters.")).toBeVisible();
  await page.getByRole("group", { name: "Filter activities" }).getByLabel("Type").selectOption("environment.synchronize");
  await page.getByRole("group", { name: "Filter activities" }).getByLabel("Result").selectOption("success");
  await expect(recent.getByRole("link")).toHaveCount(1);
  // The filters are in the address: a reload keeps them.
  await expect(page).toHaveURL(/[?&]type=environment\.synchronize/);
  await page.reload();
  await expect(page.getByRole("group", { name: "Filter activities" }).getByLabel("Result")).toHaveValue("success");
  await expect(recent.getByRole("link")).toHaveCount(1);

  // A script follows the same log with an API token (HTTP basic auth) instead of a session.
  await page.goto("/account");
  await page.getByLabel("Token name").fill("logs");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  const basic = (secret: string) => ({ authorization: `Basic ${Buffer.from(`${ADMIN.email}:${secret}`).toString("base64")}` });
  const scripted = await request.get(`${streamUrl}?format=ndjson&follow=0`, { headers: basic(token) });
  expect(scripted.status()).toBe(200);
  expect(await scripted.text()).toContain('"type":"seal"');
  expect((await request.get(`${streamUrl}?format=ndjson`, { headers: basic("pwi_wrong") })).status()).toBe(401);

  // Someone without access to the project gets 404 from the stream, whatever the format.
  const outsider = { name: "Olga Outsider", email: `olga-${uniqueSuffix()}@example.com`, password: "olga-password-1" };
  await addUser(page, outsider);
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, outsider.email, outsider.password);
  expect((await otherPage.request.get(streamUrl)).status()).toBe(404);
  expect((await otherPage.request.get(`${streamUrl}?format=ndjson`)).status()).toBe(404);
  expect((await otherPage.request.get(`${streamUrl}?format=text`)).status()).toBe(404);
  await other.close();
  await context.close();
});
