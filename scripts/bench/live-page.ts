// Benchmark (issue 12): how fast an open page learns what the engine did, over the project's
// one event stream, in Chromium against a production build.
//   redeploy  20 × click Redeploy on staging's page: the header shows "Running" and then the
//             result; each measured from when the server knew it (the activity's startedAt,
//             completedAt) to when the page's DOM showed it.
//   push      10 × git push to staging: from the push's end to its activity in the open
//             project page's stream.
//   idle      requests the project page makes while it sits idle for 60 s.
// Run: npm run bench:live-page
import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { git } from "../../e2e/support/git";
import { demoRemote, startSignedIn } from "./support";
import { benchTempDir } from "./temp-dir";

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const summary = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (${xs.length} runs)`;

async function overview(page: Page) {
  const res = await page.request.get("/api/projects/demo-store/overview?environment=staging");
  return (await res.json()) as { environments: { name: string; busy: unknown; status: string }[]; activities: { id: string; description: string; state: string; startedAt: string | null; completedAt: string | null }[] };
}

async function idleStaging(page: Page) {
  for (;;) {
    const o = await overview(page);
    if (o.environments.find((e) => e.name === "staging" && e.status === "active" && !e.busy)) return;
    await page.waitForTimeout(200);
  }
}

const { server, browser, page } = await startSignedIn();
const work = benchTempDir("pwi-bench-live-");
try {
  await idleStaging(page);

  // A token and a clone; staging gets a deploy hook that takes a second, so "Running" is there to be seen.
  const { remote } = await demoRemote(page, server);
  await git(["clone", "--quiet", "--branch", "staging", remote, work]);
  const yaml = path.join(work, ".magento.app.yaml");
  fs.writeFileSync(yaml, fs.readFileSync(yaml, "utf8").replace("  deploy: |\n    set -e\n", "  deploy: |\n    set -e\n    sleep 1\n"));
  await git(["commit", "--quiet", "-am", "A deploy of a second"], work);
  await git(["push", "--quiet", "origin", "staging"], work);
  await page.waitForTimeout(500);
  await idleStaging(page);

  // Redeploy: header "Running…" and then the result, against the server's own timestamps.
  const running: number[] = [];
  const finished: number[] = [];
  for (let i = 0; i < 21; i++) {
    // A fresh page each time (a dialog keeps its last result until the page is left).
  await page.goto("/projects/demo-store/environments/staging");
  await page.evaluate(() => {
    const w = window as unknown as { seen: { text: string; at: number }[] };
    w.seen = [];
    const el = document.querySelector('[data-testid="environment-status"]')!;
    new MutationObserver(() => w.seen.push({ text: el.textContent ?? "", at: Date.now() })).observe(el, { characterData: true, childList: true, subtree: true });
  });

    await page.getByRole("button", { name: "Redeploy", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Redeploy" }).click();
    await page.getByRole("dialog").getByTestId("activity-notice").waitFor();
    await page.keyboard.press("Escape");
    await page.getByTestId("environment-status").filter({ hasText: /^Running: Redeploy staging/ }).waitFor();
    await page.getByTestId("environment-status").filter({ hasText: /^Active$/ }).waitFor();
    const activity = (await overview(page)).activities.find((a) => a.description === "Redeploy staging" && a.state === "complete")!;
    const seen = await page.evaluate(() => (window as unknown as { seen: { text: string; at: number }[] }).seen);
    const shownRunning = seen.find((s) => s.text.startsWith("Running"))?.at;
    const shownDone = seen.findLast((s) => s.text === "Active")?.at;
    if (i > 0 && shownRunning && shownDone) {
      running.push(Math.max(0, shownRunning - Date.parse(activity.startedAt!)));
      finished.push(Math.max(0, shownDone - Date.parse(activity.completedAt!)));
    }
  }
  console.log(`Redeploy, server knows it started → header "Running": ${summary(running)}`);
  console.log(`Redeploy, server knows it ended → header shows the result: ${summary(finished)}`);

  await page.goto("/projects/demo-store");
  const pushes: number[] = [];
  for (let i = 0; i < 11; i++) {
    await idleStaging(page);
    fs.writeFileSync(path.join(work, "push.txt"), String(i));
    await git(["add", "."], work);
    await git(["commit", "--quiet", "-m", `Push ${i}`], work);
    const sha = (await git(["rev-parse", "HEAD"], work)).stdout.trim().slice(0, 7);
    await git(["push", "--quiet", "origin", "staging"], work);
    const pushed = Date.now();
    await page.getByText(`Push to staging (${sha})`).first().waitFor({ timeout: 30_000 });
    if (i > 0) pushes.push(Date.now() - pushed);
  }
  console.log(`git push to staging → its activity on the open project page: ${summary(pushes)}`);

  // Idle: what the project page asks for in 60 s.
  await idleStaging(page);
  await page.goto("/projects/demo-store");
  await page.waitForTimeout(2000);
  const requests: string[] = [];
  page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  await page.waitForTimeout(60_000);
  console.log(`project page idle for 60 s: ${requests.length} request(s)${requests.length ? `: ${[...new Set(requests)].join(", ")}` : ""}; its event stream stays open`);
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(0);
