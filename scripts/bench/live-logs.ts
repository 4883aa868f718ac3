// Benchmarks (issue 4) of live logs through a production build in Chromium:
//   latency  a hook prints a timestamped line every 100 ms for 30 s; the page records when
//            each appears in the DOM (p50, p95), worker in the server process and, with a
//            throwaway PostgreSQL, in a separate `npm run worker` process
//   big      100,000 lines streamed at ~5,000/s: the longest main-thread task meanwhile and
//            the page's JS heap after; then a fresh page of the finished log: first paint,
//            first line, all lines
//   fanout   50 concurrent SSE viewers of one running deploy: errors, server memory
// Run: npm run build && npm run bench:live-logs [latency|big|fanout]
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { findPostgresBinDir, startCluster, type Cluster } from "@/db/testing/postgres-cluster";
import { CHROMIUM_ARGS, chromiumPath } from "../../e2e/support/chromium";
import { commitInRepository } from "../../e2e/support/git";
import { createProject } from "../../e2e/support/pages";
import { startServer, type TestServer } from "../../e2e/support/server";

const admin = { email: "bench@example.com", password: "bench-password" };
const only = process.argv[2];

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function waitIdle(page: Page, projectId: string, name: string) {
  for (let i = 0; i < 600; i++) {
    const body = (await (await page.request.get(`/api/projects/${projectId}/overview`)).json()) as { environments: { name: string; status: string; busy: unknown }[] };
    const env = body.environments?.find((e) => e.name === name); // 404 until the project exists
    if (env?.status === "active" && !env.busy) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`${name} did not become idle`);
}

interface Setup {
  server: TestServer;
  browser: Browser;
  page: Page;
  cleanup(): Promise<void>;
}

async function setup(separateWorker: boolean): Promise<Setup> {
  let cluster: Cluster | null = null;
  let worker: ChildProcess | null = null;
  const env: Record<string, string> = { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, SEED_DEMO: "0" };
  if (separateWorker) {
    const bin = findPostgresBinDir();
    if (!bin) throw new Error("PostgreSQL binaries not found: the separate-worker run needs them.");
    cluster = await startCluster(bin);
    env.RUN_WORKER = "0";
  }
  const server = await startServer({ env, databaseUrl: cluster?.url });
  process.env.E2E_DATA_DIR = server.dataDir;
  if (cluster) {
    worker = spawn(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/worker.ts"], {
      env: { ...process.env, DATABASE_URL: cluster.url, DATA_DIR: server.dataDir },
      stdio: "ignore",
      detached: true,
    });
  }
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/projects/);
  try {
    await createProject(page, "Bench", "Starter", "bench");
    await waitIdle(page, "bench", "staging");
  } catch (err) {
    console.error(server.output().slice(-3000));
    await page.screenshot({ path: "/tmp/bench-failure.png" });
    throw err;
  }
  await page.goto("/projects/bench/environments/staging");
  await page.getByRole("button", { name: "Branch", exact: true }).click();
  await page.getByRole("dialog").getByLabel("Name").fill("live");
  await page.getByRole("dialog").getByRole("button", { name: "Branch" }).click();
  await waitIdle(page, "bench", "live");
  return {
    server,
    browser,
    page,
    async cleanup() {
      await browser.close();
      if (worker?.pid) process.kill(-worker.pid, "SIGKILL");
      await server.stop();
      await cluster?.stop();
    },
  };
}

/** Puts `script` before staging's build hook and syncs `live` to deploy it; returns the activity's log path. */
async function deploy(page: Page, script: string): Promise<string> {
  await commitInRepository(
    "bench",
    "staging",
    (dir) => {
      const file = path.join(dir, ".magento.app.yaml");
      const yaml = fs.readFileSync(file, "utf8").replace(/set -e\n {4}# bench:[^\n]*\n[^\n]*\n/, "set -e\n");
      fs.writeFileSync(file, yaml.replace("set -e\n    echo \"Building", `set -e\n    # bench: ${Date.now()}\n    ${script}\n    echo "Building`));
    },
    "Bench hook",
  );
  await waitIdle(page, "bench", "live");
  await page.goto("/projects/bench/environments/live");
  await page.getByRole("button", { name: "Sync" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sync" }).click();
  return (await page.getByRole("dialog").getByRole("link", { name: "Open its log" }).getAttribute("href"))!;
}

async function latency(separateWorker: boolean) {
  const s = await setup(separateWorker);
  try {
    const logPath = await deploy(s.page, 'for i in $(seq 1 300); do echo "tick $(date +%s%3N)"; sleep 0.1; done');
    await s.page.goto(logPath);
    await s.page.evaluate(() => {
      const w = window as unknown as { __delays: number[]; __seen: Set<string> };
      w.__delays = [];
      w.__seen = new Set();
      new MutationObserver((records) => {
        const now = Date.now();
        for (const r of records)
          for (const n of r.addedNodes) {
            const m = /tick (\d{13})/.exec(n.textContent ?? "");
            if (m && !w.__seen.has(m[1]!)) {
              w.__seen.add(m[1]!);
              w.__delays.push(now - Number(m[1]));
            }
          }
      }).observe(document.body, { childList: true, subtree: true });
    });
    await s.page.getByText("Complete log").waitFor({ timeout: 120_000 });
    const delays = (await s.page.evaluate(() => (window as unknown as { __delays: number[] }).__delays)).slice(5); // lines already there at load are not live
    console.log(`latency (${separateWorker ? "separate worker process, PostgreSQL" : "worker in the server process, PGlite"}): ${delays.length} lines, p50 ${pct(delays, 50)} ms, p95 ${pct(delays, 95)} ms, max ${Math.max(...delays)} ms`);
  } finally {
    await s.cleanup();
  }
}

async function big() {
  const s = await setup(false);
  try {
    const script = 'for b in $(seq 0 199); do seq -f "line %g: the quick brown fox jumps over the lazy dog, build output of a big Magento store" $((b*500+1)) $((b*500+500)); sleep 0.1; done';
    const logPath = await deploy(s.page, script);
    const page = await s.page.context().newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __longest: number; __tasks: number };
      w.__longest = 0;
      w.__tasks = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          w.__tasks++;
          w.__longest = Math.max(w.__longest, e.duration);
        }
      }).observe({ type: "longtask", buffered: true });
    });
    const t0 = Date.now();
    await page.goto(logPath);
    await page.getByText("Complete log").waitFor({ timeout: 180_000 });
    const streamed = Date.now() - t0;
    const { longest, tasks } = await page.evaluate(() => ({ longest: (window as unknown as { __longest: number }).__longest, tasks: (window as unknown as { __tasks: number }).__tasks }));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("HeapProfiler.collectGarbage");
    const metrics = (await cdp.send("Performance.enable").then(() => cdp.send("Performance.getMetrics"))).metrics;
    const heap = metrics.find((m) => m.name === "JSHeapUsedSize")!.value / 1024 / 1024;
    const lines = await page.locator("dl").getByText(/^\d{1,3}(,\d{3})*$/).first().textContent();
    console.log(`100,000 lines streaming at ~5,000/s (${(streamed / 1000).toFixed(1)} s, ${lines} lines shown): longest main-thread task ${longest.toFixed(0)} ms (${tasks} tasks over 50 ms); JS heap after ${heap.toFixed(1)} MiB`);

    const fresh = await s.page.context().newPage();
    const start = Date.now();
    await fresh.goto(logPath, { waitUntil: "commit" });
    await fresh.locator("[role=log] [id^=L]").first().waitFor();
    const firstLine = Date.now() - start;
    await fresh.getByText("Complete log").waitFor({ timeout: 60_000 });
    const allLines = Date.now() - start;
    const fcp = await fresh.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN);
    console.log(`finished 100,000-line log, fresh page: first contentful paint ${fcp.toFixed(0)} ms, first log line ${firstLine} ms, all lines loaded ${allLines} ms`);
  } finally {
    await s.cleanup();
  }
}

async function fanout() {
  const s = await setup(false);
  try {
    const cookie = (await s.page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const before = rssMiB(s.server.pid);
    const logPath = await deploy(s.page, 'for i in $(seq 1 200); do echo "fan $i"; sleep 0.05; done');
    const [, , projectId, , activityId] = logPath.split("/");
    const url = `${s.server.url}/api/projects/${projectId}/activities/${activityId}/log`;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(s.server.pid))), 200);
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        try {
          const res = await fetch(url, { headers: { cookie, accept: "text/event-stream" } });
          if (!res.ok) return { error: `status ${res.status}` };
          const body = await res.text();
          const ids = [...body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
          const contiguous = ids.every((id, i) => id === i + 1);
          const sealed = body.includes("event: seal");
          return contiguous && sealed && body.includes("fan 200") ? { lines: ids.length } : { error: `contiguous ${contiguous}, sealed ${sealed}` };
        } catch (err) {
          return { error: String(err) };
        }
      }),
    );
    clearInterval(sampler);
    const errors = results.filter((r) => "error" in r);
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssMiB(s.server.pid);
    console.log(
      `fan-out: 50 SSE viewers of one deploy: ${errors.length} errors${errors.length ? ` (${JSON.stringify(errors[0])})` : ""}, ${results.find((r) => "lines" in r && r.lines) ? (results.find((r) => "lines" in r) as { lines: number }).lines : 0} lines each; server RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak, ${after.toFixed(0)} MiB after`,
    );
  } finally {
    await s.cleanup();
  }
}

if (!only || only === "latency") {
  if (!process.env.BENCH_SKIP_INPROCESS) await latency(false);
  await latency(true);
}
if (!only || only === "big") await big();
if (!only || only === "fanout") await fanout();
