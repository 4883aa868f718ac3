import { expect, test, type Browser, type Page } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";
import { newDeployedProject, waitForIdle } from "./support/pages";

/** How long each page is left alone while its requests are counted. */
const IDLE_MS = 60_000;
/** A page has finished loading once no request but its event stream has been open for this long. */
const QUIET_MS = 2_000;

interface Seen {
  url: string;
  at: number;
  ended: boolean;
}

/** Every request `page` makes from now on, and whether it has ended (answered in full or failed). */
function recordRequests(page: Page): Seen[] {
  const seen: Seen[] = [];
  const byRequest = new Map<object, Seen>();
  page.on("request", (request) => {
    const entry = { url: request.url(), at: Date.now(), ended: false };
    seen.push(entry);
    byRequest.set(request, entry);
  });
  const end = (request: object) => {
    const entry = byRequest.get(request);
    if (entry) entry.ended = true;
  };
  page.on("requestfinished", end);
  page.on("requestfailed", end);
  return seen;
}

const isStream = (url: string) => new URL(url).pathname.endsWith("/events");
const describe = (requests: Seen[]) => requests.map((r) => new URL(r.url).pathname + new URL(r.url).search).join(", ") || "none";

/**
 * Opens `path` in a context of its own, waits until it has loaded and its event stream is open,
 * then leaves it alone for IDLE_MS. Returns what it asked for while loading and while idle.
 */
async function watchIdle(browser: Browser, path: string) {
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  const seen = recordRequests(page);
  await page.goto(path);
  // Loaded: the stream is open and every other request (the page's own refetch on connecting) is done and quiet.
  await expect(async () => {
    const others = seen.filter((r) => !isStream(r.url));
    expect(seen.filter((r) => isStream(r.url) && !r.ended)).toHaveLength(1);
    expect(others.filter((r) => !r.ended)).toEqual([]);
    expect(Date.now() - Math.max(...others.map((r) => r.at))).toBeGreaterThan(QUIET_MS);
  }).toPass({ timeout: 30_000 });
  const loading = seen.length;
  await page.waitForTimeout(IDLE_MS);
  const idle = seen.slice(loading);
  return { context, page, loading, idle, streams: seen.filter((r) => isStream(r.url)) };
}

test("an idle project page and an idle environment page make no request but their one event stream in 60 s, and still follow a change", async ({ browser }) => {
  test.setTimeout(IDLE_MS + 120_000);
  const { projectId, context: setup, page: admin } = await newDeployedProject(browser, "idle", "Idle store");
  await waitForIdle(admin, projectId, "master"); // nothing of the project runs while the pages are watched

  // Both pages at once, each in its own context (its own connections), so the test waits 60 s once.
  const [project, environment] = await Promise.all([watchIdle(browser, `/projects/${projectId}`), watchIdle(browser, `/projects/${projectId}/environments/staging`)]);
  for (const [name, watched] of [
    ["project page", project],
    ["environment page", environment],
  ] as const) {
    console.log(`${name}: ${watched.loading} requests while loading, ${watched.idle.length} in ${IDLE_MS / 1000} s idle (${describe(watched.idle)}); event streams opened: ${watched.streams.length}`);
    expect(watched.idle, `${name} asked for ${describe(watched.idle)} while idle`).toEqual([]);
    expect(watched.streams, `${name} opened its event stream once and kept it open`).toMatchObject([{ ended: false }]);
  }

  // Still live: a rename made in another tab reaches both pages through their streams, without a reload.
  await admin.goto(`/projects/${projectId}/settings`);
  await admin.getByLabel("Title").fill("Idle store renamed");
  await admin.getByRole("button", { name: "Rename", exact: true }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Project renamed." })).toBeVisible();
  await expect(project.page.getByRole("heading", { name: "Idle store renamed", level: 1 })).toBeVisible({ timeout: 10_000 });
  await expect(environment.page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Idle store renamed" })).toBeVisible({ timeout: 10_000 });
  expect(project.streams, "no reconnect").toHaveLength(1);
  expect(environment.streams, "no reconnect").toHaveLength(1);
  await Promise.all([project.context.close(), environment.context.close(), setup.close()]);
});
