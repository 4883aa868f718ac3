// What the benchmarks that drive a production server in Chromium share.
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { and, eq } from "drizzle-orm";
import { openDatabase, type Db } from "@/db/client";
import { environments, projects } from "@/db/schema";
import { resetEnvForTests } from "@/lib/env";
import { CHROMIUM_ARGS, chromiumPath } from "../../e2e/support/chromium";
import { startServer, type TestServer } from "../../e2e/support/server";

export const BENCH_ADMIN = { email: "bench@example.com", password: "bench-password" };

/** A production server with the demo project, Chromium, and a page signed in as its administrator. */
export async function startSignedIn(options: { databaseUrl?: string } = {}): Promise<{ server: TestServer; browser: Browser; page: Page }> {
  // No Chromium: said before a server starts (a server started first would outlive the error).
  const executablePath = chromiumPath();
  const server = await startServer({ databaseUrl: options.databaseUrl, env: { ADMIN_EMAIL: BENCH_ADMIN.email, ADMIN_PASSWORD: BENCH_ADMIN.password, SEED_DEMO: "1" } });
  try {
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    const page = await (await browser.newContext({ baseURL: server.url })).newPage();
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(BENCH_ADMIN.email);
    await page.getByLabel("Password").fill(BENCH_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/projects$/);
    return { server, browser, page };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * startSignedIn, then the demo project grown to 1,000 environments (4 active, 996 inactive;
 * 998 added directly to its database while the server is stopped), the server started again
 * on the same port, and the signed-in cookie.
 */
export async function seededServer(env: Record<string, string> = {}): Promise<{ server: TestServer; browser: Browser; context: BrowserContext; page: Page; cookie: string }> {
  const signedIn = await startSignedIn();
  const { browser, page } = signedIn;
  let server = signedIn.server;
  const { dataDir, port } = server;
  // Let the demo's first deploys finish (every activity settled), then add the environments.
  await waitForQuiet(server, await cookieOf(page.context()));
  await server.stop();
  process.env.DATA_DIR = dataDir;
  resetEnvForTests();
  const database = await openDatabase({ dataDir });
  await growDemoProject(database.db);
  await database.close();
  server = await startServer({ dataDir, port, env });
  const context = page.context();
  const cookie = await cookieOf(context);
  return { server, browser, context, page, cookie };
}

/**
 * The demo project grown to 1,000 environments: 998 under Staging (2 active, 996 inactive),
 * written directly to its database. Returns the project's row.
 */
export async function growDemoProject(db: Db): Promise<typeof projects.$inferSelect> {
  const [project] = await db.select().from(projects).where(eq(projects.id, "demo-store"));
  const [staging] = await db.select().from(environments).where(and(eq(environments.projectId, "demo-store"), eq(environments.name, "staging")));
  const rows = Array.from({ length: 998 }, (_, i) => ({
    projectId: project!.id,
    name: `feature-${String(i).padStart(4, "0")}`,
    title: `Feature ${i}`,
    parentId: staging!.id,
    type: "development" as const,
    status: (i < 2 ? "active" : "inactive") as "active" | "inactive",
    // Made hours ago: branches of the last hour are shown unfolded, which would not be the case measured.
    createdAt: new Date(Date.now() - 2 * 60 * 60_000),
  }));
  for (let i = 0; i < rows.length; i += 200) await db.insert(environments).values(rows.slice(i, i + 200));
  return project!;
}

export async function cookieOf(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
}

/** Resolves once no activity of the project is queued or running (polls its activities API). */
export async function waitForQuiet(server: TestServer, cookie: string, projectId = "demo-store"): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${server.url}/api/projects/${projectId}/activities`, { headers: { cookie } });
    const page = (await res.json()) as { running: unknown[]; pending: unknown[] };
    if (page.running.length === 0 && page.pending.length === 0) return;
    if (Date.now() > deadline) throw new Error("The project's activities did not settle within 120 s.");
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A new API token from the Account page, and the demo project's git remote with it. */
export async function demoRemote(page: Page, server: TestServer): Promise<{ token: string; remote: string }> {
  await page.goto("/account");
  await page.getByLabel("Token name").fill("bench");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  const remote = new URL("/git/demo-store.git", server.url);
  remote.username = encodeURIComponent(BENCH_ADMIN.email);
  remote.password = token;
  return { token, remote: remote.toString() };
}
