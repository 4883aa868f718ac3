// Benchmark (issue 11): what containing pushed code costs, and that it keeps the server
// answering.
//   deploy   the template's deploy (a new tree each time: build, deploy, post_deploy) with
//            and without the bubblewrap sandbox, interleaved in one run, 5 rounds each.
//   health   /api/health of a production server (every 50 ms) while a viewer opens the
//            topology of a branch whose services.yaml is slow to parse, a billion-laughs and a
//            1 MiB+ file are pushed, and git-upload-pack gets gzip bombs: p50, p99, max.
//   forkbomb /api/health of a production server (every 50 ms) while a pushed branch's build hook
//            runs a fork bomb and four CPU burners for 15 s (issue 31: p99 ≤ 200 ms).
// Run: npm run bench:containment [deploy|health|forkbomb]
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { eq } from "drizzle-orm";
import { git } from "../../e2e/support/git";
import { BENCH_ADMIN, demoRemote, startSignedIn } from "./support";
import { benchTempDir } from "./temp-dir";

const which = process.argv[2] ?? "all";
const dataDir = benchTempDir("pwi-bench-contain-");
process.env.DATA_DIR = dataDir;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Runs `bench` against a production server with a signed-in page and a scratch folder; prints the server's output if it fails. */
async function withSignedInServer(bench: (ctx: Awaited<ReturnType<typeof startSignedIn>> & { work: string }) => Promise<void>): Promise<void> {
  const signedIn = await startSignedIn();
  const work = benchTempDir("pwi-bench-clone-");
  try {
    await bench({ ...signedIn, work });
  } catch (err) {
    console.error(signedIn.server.output().slice(-4000));
    throw err;
  } finally {
    await signedIn.browser.close();
    await signedIn.server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Asks /api/health every 50 ms until stopped; `times` holds each answer's milliseconds. */
function pingHealth(url: string): { times: number[]; stop(): Promise<void> } {
  const times: number[] = [];
  let pinging = true;
  const pinger = (async () => {
    while (pinging) {
      const t0 = performance.now();
      const ok = await fetch(`${url}/api/health`).then((r) => r.arrayBuffer().then(() => r.ok), () => false);
      if (!ok) throw new Error("/api/health did not answer");
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    times,
    stop: async () => {
      pinging = false;
      await pinger;
    },
  };
}

async function deployCost() {
  const { openDatabase } = await import("@/db/client");
  const { activities } = await import("@/db/schema");
  const { startActivityWorker: startWorker } = await import("@/lib/activity-runners");
  const { requestEnvironmentAction } = await import("@/lib/environments/request-action");
  const { createProject } = await import("@/lib/projects/create-project");
  const { sandboxSupport, setSandboxSupportForTesting } = await import("@/lib/runtime/sandbox");
  const { commitOn } = await import("@/lib/testing-git");
  const { makeUser } = await import("@/lib/testing-fixtures");
  const real = sandboxSupport();
  if (!real.ok) throw new Error(`The sandbox does not work here: ${real.reason}`);
  const database = await openDatabase({ dataDir });
  await database.migrate();
  const db = database.db;
  const admin = await makeUser(db, { isAdmin: true });
  await createProject(db, admin, { id: "bench", title: "Bench", plan: "starter", region: "us-3" });
  const worker = startWorker(db);
  await worker.idle();
  const times: Record<"sandboxed" | "unsandboxed", number[]> = { sandboxed: [], unsandboxed: [] };
  for (let round = 0; round < 6; round++) {
    for (const mode of ["sandboxed", "unsandboxed"] as const) {
      setSandboxSupportForTesting(mode === "sandboxed" ? real : { ok: false, reason: "benchmark" });
      await commitOn("bench", "master", { "templates/round.txt": `${round} ${mode}` }, `Round ${round} ${mode}`);
      const activity = await requestEnvironmentAction(db, admin, "bench", "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const [done] = await db.select().from(activities).where(eq(activities.id, activity.id));
      if (done?.result !== "success") throw new Error(`deploy failed in ${mode} mode`);
      if (round > 0) times[mode].push(done.completedAt!.getTime() - done.startedAt!.getTime()); // round 0 warms up
    }
  }
  await worker.stop();
  await database.close();
  console.log(`Template deploy (sync: fast-forward, build, deploy, post_deploy), 5 rounds each, interleaved:`);
  console.log(`  sandboxed:   median ${median(times.sandboxed)} ms (${times.sandboxed.join(", ")})`);
  console.log(`  unsandboxed: median ${median(times.unsandboxed)} ms (${times.unsandboxed.join(", ")})`);
  console.log(`  cost of the sandbox: ${median(times.sandboxed) - median(times.unsandboxed)} ms per deploy (3 hooks)`);
}

async function healthUnderAttack() {
  const admin = BENCH_ADMIN;
  await withSignedInServer(async ({ server, page, work }) => {
    const { token, remote } = await demoRemote(page, server);

    // Three hostile branches, pushed through the git remote.
    await git(["clone", "--quiet", "--branch", "staging", remote, work]);
    const laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ...["b", "c", "d", "e", "f", "g", "h", "i"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    const files: Record<string, string> = {
      "slow-yaml": Array.from({ length: 30_000 }, (_, i) => `s${i}:\n  type: redis:7.0`).join("\n"),
      "laughs-yaml": laughs,
      "huge-yaml": `# ${"x".repeat(44 * 1024 * 1024)}\n`,
    };
    for (const [branch, content] of Object.entries(files)) {
      await git(["checkout", "--quiet", "-B", branch, "origin/staging"], work);
      fs.writeFileSync(path.join(work, ".magento", "services.yaml"), content);
      await git(["commit", "--quiet", "-am", branch], work);
    }

    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const health = pingHealth(server.url);
    await new Promise((r) => setTimeout(r, 2000));
    const quiet = health.times.splice(0);
    const healthTimes = health.times;

    const t0 = performance.now();
    console.log("pushing the hostile branches…");
    await git(["push", "--quiet", "origin", ...Object.keys(files)], work);
    console.log("opening their topology pages…");
    const pushMs = performance.now() - t0;
    const topology: string[] = [];
    for (const branch of Object.keys(files)) {
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const res = await fetch(`${server.url}/projects/demo-store/environments/${branch}/topology`, { headers: { cookie } });
        const html = await res.text();
        topology.push(`${branch}#${i + 1}: ${res.status} in ${(performance.now() - t).toFixed(0)} ms${/took longer than|too many aliases|at most 1 MiB/.test(html) ? " (configuration error shown)" : ""}`);
      }
    }
    console.log("sending gzip bombs…");
    const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024 * 1024), { level: 9 });
    const bombs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      // Its own connection each: the answer comes before the body is read, which ends the connection.
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${server.url}/git/demo-store.git/git-upload-pack`, {
          method: "POST",
          agent: false,
          headers: { authorization: `Basic ${Buffer.from(`${admin.email}:${token}`).toString("base64")}`, "content-type": "application/x-git-upload-pack-request", "content-encoding": "gzip" },
        }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end(bomb);
      });
      bombs.push(`${status} in ${(performance.now() - t).toFixed(0)} ms`);
    }
    await health.stop();
    const rss = Number(fs.readFileSync(`/proc/${server.pid}/status`, "utf8").match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) / 1024;
    console.log(`/api/health while quiet: p50 ${median(quiet).toFixed(1)} ms, p99 ${pct(quiet, 99).toFixed(1)} ms (${quiet.length} requests)`);
    console.log(`push of the three hostile branches: ${pushMs.toFixed(0)} ms`);
    for (const line of topology) console.log(`topology ${line}`);
    console.log(`gzip bombs (${(bomb.length / 1024 / 1024).toFixed(1)} MiB → 1 GiB) to git-upload-pack: ${bombs.join("; ")}`);
    console.log(`/api/health during all of it: p50 ${median(healthTimes).toFixed(1)} ms, p99 ${pct(healthTimes, 99).toFixed(1)} ms, max ${Math.max(...healthTimes).toFixed(1)} ms (${healthTimes.length} requests)`);
    console.log(`server peak RSS: ${rss.toFixed(0)} MiB`);
  });
}

async function healthDuringForkBomb() {
  await withSignedInServer(async ({ server, page, work }) => {
    const { remote } = await demoRemote(page, server);
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    await git(["clone", "--quiet", "--branch", "staging", remote, work]);
    await git(["checkout", "--quiet", "-B", "bomb"], work);
    const app = fs.readFileSync(path.join(work, ".magento.app.yaml"), "utf8");
    const bomb = "    for i in 1 2 3 4; do (while :; do :; done) & done\n    timeout 15 bash -c 'b() { b | b & }; b' || true\n";
    fs.writeFileSync(path.join(work, ".magento.app.yaml"), app.replace("  build: |\n    set -e\n", `  build: |\n${bomb}    set -e\n`));
    await git(["commit", "--quiet", "-am", "A fork bomb in the build"], work);
    const health = pingHealth(server.url);
    await new Promise((r) => setTimeout(r, 2000));
    const quiet = health.times.splice(0);
    const times = health.times;
    const t0 = performance.now();
    // Pushed active: its deploy (and the bomb) starts at once; the push waits for nothing.
    await git(["push", "--quiet", "-o", "environment.status=active", "origin", "bomb"], work);
    const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
    await new Promise((r) => setTimeout(r, 18_000));
    await health.stop();
    // The bomb really ran: its deploy's log says which limits held it.
    const stream = (await (await fetch(`${server.url}/api/projects/demo-store/activities?environment=bomb`, { headers: { cookie } })).json()) as { recent: { id: string; type: string }[] };
    const deploy = stream.recent.find((a) => a.type === "environment.activate");
    const log = deploy ? await (await fetch(`${server.url}/api/projects/demo-store/activities/${deploy.id}/log?format=text`, { headers: { cookie } })).text() : "";
    for (const line of log.split("\n").filter((l) => /HOOK_|limit|sandboxed/.test(l))) console.log(`  bomb's log: ${line.slice(0, 200)}`);
    if (!/HOOK_MAX_PROCESSES|HOOK_CPUS/.test(log)) throw new Error(`The fork bomb's deploy did not reach a limit: ${JSON.stringify(stream).slice(0, 1500)}\n${log.slice(-2000)}`);
    console.log(`/api/health while quiet: p50 ${median(quiet).toFixed(1)} ms, p99 ${pct(quiet, 99).toFixed(1)} ms (${quiet.length} requests)`);
    console.log(`/api/health during the fork bomb (push at 0, 18 s): p50 ${median(times).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (${times.length} requests; load average ${load} at the push, ${fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0]} after; ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  });
}

try {
  if (which === "forkbomb") await healthDuringForkBomb();
  if (which === "all" || which === "deploy") await deployCost();
  if (which === "all" || which === "health") await healthUnderAttack();
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
