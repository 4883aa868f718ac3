// Benchmark: the project page with 1,000 environments (4 active, 996 inactive): server response
// time over 200 requests at concurrency 10 and under 20 clients for 30 s, against a static file
// and a minimal route of the same server; the time from clicking Branch to the new activity in
// the stream; JavaScript per page; page-to-page navigation; the server's memory idle and after
// 1,000 page views. Run: npm run bench:project-page
import fs from "node:fs";
import type { Page } from "@playwright/test";
import { seededServer } from "./support";

const REQUESTS = 200;
const CONCURRENCY = 10;

async function measure(url: string, cookie: string, options: { concurrency?: number; seconds?: number } = {}) {
  const times: number[] = [];
  let next = 0;
  let errors = 0;
  const until = options.seconds ? Date.now() + options.seconds * 1000 : Infinity;
  await Promise.all(
    Array.from({ length: options.concurrency ?? CONCURRENCY }, async () => {
      while (options.seconds ? Date.now() < until : next < REQUESTS) {
        next++;
        const t0 = performance.now();
        const res = await fetch(url, { headers: { cookie } });
        await res.arrayBuffer();
        if (!res.ok) errors++;
        times.push(performance.now() - t0);
      }
    }),
  );
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { median: pct(50), p95: pct(95), errors, count: times.length };
}

/** The server's resident memory (MiB): the process that serves, read from /proc. */
function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

const { server, browser, context, page, cookie } = await seededServer();
try {
  await measure(`${server.url}/projects/demo-store`, cookie); // warm up
  const size = (await (await fetch(`${server.url}/projects/demo-store`, { headers: { cookie } })).arrayBuffer()).byteLength;
  console.log(`Project page HTML: ${(size / 1024).toFixed(0)} KiB`);
  const projectPage = await measure(`${server.url}/projects/demo-store`, cookie);
  const staticFile = await measure(`${server.url}/favicon.svg`, cookie);
  const health = await measure(`${server.url}/api/health`, cookie);
  // Click Branch → the new activity in the environment's stream.
  await page.goto("/projects/demo-store/environments/staging");
  await page.getByRole("button", { name: "Branch", exact: true }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("bench-branch");
  const t0 = Date.now();
  await page.getByRole("dialog").getByRole("button", { name: "Branch" }).click();
  await page.getByRole("dialog").getByTestId("activity-notice").waitFor();
  const queued = Date.now() - t0;
  await page.keyboard.press("Escape");
  await page.getByRole("list", { name: "Activities" }).getByText("Branch bench-branch from staging").waitFor();
  const inStream = Date.now() - t0;

  // The hierarchy graph beside the tree (issue 6): shown, then the "996 inactive" group clicked;
  // how long until drawn, and the longest main-thread task meanwhile.
  await page.goto("/projects/demo-store");
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: "longtask" });
  });
  const graph = page.getByRole("figure", { name: "Environment hierarchy graph" });
  const g0 = Date.now();
  await page.getByRole("button", { name: "Hierarchy graph" }).click();
  await graph.locator(".react-flow__node").first().waitFor();
  const graphShown = Date.now() - g0;
  await page.waitForTimeout(500);
  const longestShown = await page.evaluate(() => Math.max(0, ...(window as unknown as { longTasks: number[] }).longTasks.splice(0)));
  const u0 = Date.now();
  await graph.getByLabel(/^\d+ inactive environments$/).first().click(); // the "N inactive" group: unfolds, and the view moves to them
  await page.getByRole("button", { name: "Fold inactive" }).waitFor();
  await graph.getByLabel(/\(feature-\d+\), inactive$/).first().waitFor();
  const unfolded = Date.now() - u0;
  await page.waitForTimeout(500);
  const drawn = await graph.locator(".react-flow__node").count();
  const longest = await page.evaluate(() => Math.max(0, ...(window as unknown as { longTasks: number[] }).longTasks));

  // Then the heavier rows (the ones above ran on a quiet server, as before); the graph off again.
  await page.getByRole("button", { name: "Hierarchy graph" }).click();
  const loaded = await measure(`${server.url}/projects/demo-store`, cookie, { concurrency: 20, seconds: 30 });
  const staticLoaded = await measure(`${server.url}/favicon.svg`, cookie, { concurrency: 20, seconds: 5 });

  // JavaScript transferred (compressed) on a cold load of each page.
  const scriptBytes = async (path: string) => {
    const cold = await browser.newContext({ baseURL: server.url, storageState: await context.storageState() });
    const p = await cold.newPage();
    const sizes: Promise<number>[] = [];
    p.on("requestfinished", (r) => void (r.resourceType() === "script" && sizes.push(r.sizes().then((s) => s.responseBodySize))));
    await p.goto(path);
    await p.waitForLoadState("networkidle");
    const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    await cold.close();
    return Math.round(total / 1000);
  };
  const js = {
    projects: await scriptBytes("/projects"),
    project: await scriptBytes("/projects/demo-store"),
    environment: await scriptBytes("/projects/demo-store/environments/staging"),
    topology: await scriptBytes("/projects/demo-store/environments/master/topology"),
  };

  // Page-to-page navigation on a warm server: click → the new page's heading.
  const navigations: number[] = [];
  const navigate = async (p: Page, link: RegExp | string, url: RegExp) => {
    const t = Date.now();
    await p.getByRole("link", { name: link }).first().click();
    await p.waitForURL(url);
    await p.getByRole("heading", { level: 1 }).first().waitFor();
    navigations.push(Date.now() - t);
  };
  for (let i = 0; i < 5; i++) {
    await page.goto("/projects/demo-store");
    await navigate(page, /^Staging \(staging\)/, /\/environments\/staging$/);
    await navigate(page, /^Settings: access control/, /\/environments\/staging\/settings$/);
    await page.goto("/projects/demo-store");
    await navigate(page, /^Settings$/, /\/projects\/demo-store\/settings$/);
  }
  navigations.sort((a, b) => a - b);
  const navP95 = navigations[Math.floor(0.95 * navigations.length)]!;

  // Memory: idle (30 s after the pages above), then after 1,000 more page views.
  await new Promise((r) => setTimeout(r, 30_000));
  const idleRss = rssMiB(server.pid);
  for (const path of ["/projects", "/projects/demo-store", "/projects/demo-store/environments/staging", "/projects/demo-store/settings"]) {
    await measure(`${server.url}${path}`, cookie, { concurrency: 5 }).catch(() => undefined);
    await measure(`${server.url}${path}`, cookie, { concurrency: 5 }).catch(() => undefined);
  }
  await new Promise((r) => setTimeout(r, 10_000));
  const busyRss = rssMiB(server.pid);

  const f = (n: number) => `${n.toFixed(1)} ms`;
  console.log(`Hierarchy graph, 1,000 environments: shown ${graphShown} ms after the click; the "996 inactive" group clicked: unfolded and the first of them in view ${unfolded} ms later (${drawn} nodes in view drawn); longest main-thread task while showing it ${longestShown.toFixed(0)} ms, while unfolding ${longest.toFixed(0)} ms`);
  console.log(`Project page, 1,000 environments (${REQUESTS} requests, concurrency ${CONCURRENCY}): median ${f(projectPage.median)}, p95 ${f(projectPage.p95)}, errors ${projectPage.errors}`);
  console.log(`Static file /favicon.svg: median ${f(staticFile.median)}, p95 ${f(staticFile.p95)}; ratio project/static: median ${(projectPage.median / staticFile.median).toFixed(1)}×, p95 ${(projectPage.p95 / staticFile.p95).toFixed(1)}×`);
  console.log(`Minimal route /api/health: median ${f(health.median)}, p95 ${f(health.p95)}; ratio project/health: median ${(projectPage.median / health.median).toFixed(1)}×`);
  console.log(`Branch click → activity queued (dialog): ${queued} ms; → activity row in the environment's stream: ${inStream} ms`);
  console.log(`Project page under 20 clients for 30 s (${loaded.count} requests): median ${f(loaded.median)}, p95 ${f(loaded.p95)}, errors ${loaded.errors}; static file under 20 clients: p95 ${f(staticLoaded.p95)}`);
  console.log(`JavaScript on a cold load (compressed): projects ${js.projects} kB, project ${js.project} kB, environment ${js.environment} kB, topology ${js.topology} kB`);
  console.log(`Navigation, click → new heading (${navigations.length} clicks): median ${navigations[Math.floor(navigations.length / 2)]} ms, p95 ${navP95} ms`);
  console.log(`Server memory (the one process npm start leaves, besides npm itself): idle ${idleRss} MiB; after 1,600 more page views ${busyRss} MiB`);
} finally {
  await browser.close();
  await server.stop();
}
