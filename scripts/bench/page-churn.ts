// The project page with 1,000 environments from the page cache while activities are written:
// one a second in this project (each drops its kept page) and one a second in another project
// (which must not). On a throwaway PostgreSQL cluster, so that this process can write the
// activities while the server runs (the embedded database allows one process). Part of
// `npm run bench:project-page`.
import http from "node:http";
import { openDatabase } from "@/db/client";
import { activities, projects } from "@/db/schema";
import { findPostgresBinDir, startCluster } from "@/db/testing/postgres-cluster";
import { createPostgresTestDatabase } from "@/db/testing/databases";
import { PAGE_CACHE_HEADER } from "@/lib/session/page-cache";
import { startServer } from "../../e2e/support/server";
import { BENCH_ADMIN, growDemoProject, waitForQuiet } from "./support";

const SECONDS = 30;
const CONCURRENCY = 10;

/** Signs in through Auth.js's own endpoints, as a browser's form does; returns the Cookie header. */
async function signIn(url: string): Promise<string> {
  const csrf = await fetch(`${url}/api/auth/csrf`);
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  };
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const res = await fetch(`${url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: BENCH_ADMIN.email, password: BENCH_ADMIN.password, csrfToken }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.endsWith("authjs.session-token"))) throw new Error(`Signing in failed (${res.status}).`);
  return cookie();
}

/** GETs `url` from CONCURRENCY clients for SECONDS: times to the last byte, and how many the cache answered. */
async function load(url: string, cookie: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const times: number[] = [];
  let hits = 0;
  let errors = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) => {
          http
            .get(url, { agent, headers: { cookie, "accept-encoding": "br, gzip, deflate" } }, (res) => {
              if (res.headers[PAGE_CACHE_HEADER] === "hit") hits++;
              if (res.statusCode !== 200) errors++;
              res.on("data", () => undefined).on("end", resolve).on("error", reject);
            })
            .on("error", reject);
        });
        times.push(performance.now() - t0);
      }
    }),
  );
  agent.destroy();
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { median: pct(50), p95: pct(95), count: times.length, hits, errors };
}

export async function pageUnderChurn(): Promise<string> {
  const binDir = findPostgresBinDir();
  if (!binDir) return "Project page under activity churn: skipped (no PostgreSQL server binaries; Debian: apt-get install postgresql).";
  const cluster = await startCluster(binDir);
  const database = await createPostgresTestDatabase(cluster.url);
  const server = await startServer({ databaseUrl: database.url, env: { ADMIN_EMAIL: BENCH_ADMIN.email, ADMIN_PASSWORD: BENCH_ADMIN.password, SEED_DEMO: "1" } });
  const { db, close } = await openDatabase({ databaseUrl: database.url });
  try {
    const cookie = await signIn(server.url);
    await waitForQuiet(server, cookie);
    const demo = await growDemoProject(db);
    await db.insert(projects).values({ ...demo, id: "other-store", title: "Other store", createdAt: new Date() });

    const url = `${server.url}/projects/demo-store`;
    await load(url, cookie); // warm up
    const quiet = await load(url, cookie);
    let written = 0;
    const churn = setInterval(() => {
      for (const projectId of ["demo-store", "other-store"]) {
        void db
          .insert(activities)
          .values({ projectId, type: "environment.redeploy", state: "complete", result: "success", description: `Churn ${written}`, environmentName: "staging", startedAt: new Date(), completedAt: new Date() })
          .then(() => written++);
      }
    }, 1000);
    const churned = await load(url, cookie).finally(() => clearInterval(churn));
    const staticFile = await load(`${server.url}/favicon.svg`, cookie);
    const row = (r: Awaited<ReturnType<typeof load>>) => `p50 ${r.median.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms (${r.count} requests, ${Math.round((100 * r.hits) / r.count)}% from the cache${r.errors ? `, ${r.errors} errors` : ""})`;
    const ok = churned.p95 <= 50 && churned.p95 <= 3 * staticFile.p95;
    return [
      `Project page, 1,000 environments, PostgreSQL, ${CONCURRENCY} clients for ${SECONDS} s: quiet ${row(quiet)}`,
      `  while ${written} activities were written (one a second here, one a second in another project): ${row(churned)}; a static file p95 ${staticFile.p95.toFixed(1)} ms (goal p95 ≤ 50 ms and ≤ 3× the static file: ${ok ? "met" : "NOT MET"})`,
    ].join("\n");
  } finally {
    await close();
    await server.stop();
    await database.drop();
    await cluster.stop();
  }
}

if (process.argv[1]?.endsWith("page-churn.ts")) console.log(await pageUnderChurn());
