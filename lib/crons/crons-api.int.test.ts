// The crons and runtime operations through the REST API, as an admin, a viewer, a stranger and
// hostile names meet them: GET lists the crons with their state; POST runs one (202 with the
// activity), with the console's permission checks and sentences.
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GET as listCrons } from "@/app/api/projects/[projectId]/environments/[environmentName]/crons/route";
import { POST as runCron } from "@/app/api/projects/[projectId]/environments/[environmentName]/crons/[cron]/runs/route";
import { POST as runOperation } from "@/app/api/projects/[projectId]/environments/[environmentName]/operations/[operation]/runs/route";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import { activities, deployments, environments } from "@/db/schema";
import { getActivityLog } from "@/lib/activities/log-store";
import { startActivityWorker } from "@/lib/activity-runners";
import { latestDeployment } from "@/lib/environments/queries";
import { projectTemplate } from "@/lib/git/template";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { sandboxSupport } from "@/lib/runtime/sandbox";
import { isSameOrigin } from "@/lib/session/api-access";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { createApiToken } from "@/lib/tokens/api-tokens";

withoutTemplateServices();
const sandbox = sandboxSupport();
if (!sandbox.ok && (process.env.CI || process.env.PWI_REQUIRE_SERVERS === "1")) throw new Error(`PWI_REQUIRE_SERVERS=1 and nothing can run beside a release here: ${sandbox.reason}`);
if (!sandbox.ok) console.warn(`\n\n!!! SKIPPED: nothing can run beside a release here: ${sandbox.reason} !!!\n\n`);

let db: Db;
let projectId: string;
type Who = { email: string; token: string };
let owner: Who;
let viewer: Who;
let stranger: Who;
let contributor: Who;

beforeAll(async () => {
  await (await getDatabase()).migrate();
  db = await getDb();
  const admin = await makeUser(db, { isAdmin: true });
  const who = async (user: Awaited<ReturnType<typeof makeUser>>) => ({ email: user.email, token: (await createApiToken(db, user, "t")).token });
  owner = await who(admin);
  projectId = uniqueProjectId("cronapi");
  await createProject(db, admin, { id: projectId, title: "Cron API", plan: "starter", region: "us-3" });
  const v = await makeUser(db);
  await addProjectMember(db, admin, projectId, v.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
  viewer = await who(v);
  stranger = await who(await makeUser(db));
  const c = await makeUser(db);
  await addProjectMember(db, admin, projectId, c.email, { role: "viewer", production: "viewer", staging: "contributor", development: "contributor" });
  contributor = await who(c);
  // An operation any contributor may run, and one for admins.
  const app = projectTemplate("x", [])[".magento.app.yaml"]!.concat(`operations:\n  clear-cache:\n    role: contributor\n    commands:\n      start: echo flushed\n  reindex:\n    commands:\n      start: echo reindexed\n`);
  await commitOn(projectId, "master", { ".magento.app.yaml": app }, "Operations");
  const worker = startActivityWorker(db);
  try {
    await worker.idle();
    await requestEnvironmentAction(db, admin, projectId, "staging", { action: "sync", code: true, data: false, rebase: false });
    await worker.idle();
  } finally {
    await worker.stop();
  }
}, 120_000);
afterAll(() => closeDatabase());

const request = (path: string, who: Who | null, method = "GET") =>
  new Request(`http://localhost/api/projects/${path}`, { method, headers: who ? { authorization: `Basic ${Buffer.from(`${who.email}:${who.token}`).toString("base64")}` } : {} });
const list = (env: string, who: Who | null) => listCrons(request(`${projectId}/environments/${env}/crons`, who), { params: Promise.resolve({ projectId, environmentName: env }) });
const run = (env: string, cron: string, who: Who | null) =>
  runCron(request(`${projectId}/environments/${env}/crons/${encodeURIComponent(cron)}/runs`, who, "POST"), { params: Promise.resolve({ projectId, environmentName: env, cron }) });
const operate = (env: string, operation: string, who: Who | null) =>
  runOperation(request(`${projectId}/environments/${env}/operations/${operation}/runs`, who, "POST"), { params: Promise.resolve({ projectId, environmentName: env, operation }) });

it.skipIf(!sandbox.ok)("lists the crons, runs one now (202 with its activity) and records its result; refuses what the console refuses, with its sentence", async () => {
  const before = await list("staging", viewer);
  expect(before.status).toBe(200);
  const body = (await before.json()) as { timezone: string; crons: { name: string; words: string; next: string; status: unknown; alert: unknown }[] };
  expect(body.timezone).toBe("UTC");
  expect(body.crons).toEqual([expect.objectContaining({ name: "cronrun", spec: "*/5 * * * *", words: "every 5 minutes", next: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), status: null, alert: null })]);

  const started = await run("staging", "cronrun", owner);
  expect(started.status).toBe(202);
  const { activity } = (await started.json()) as { activity: { id: string; type: string; state: string } };
  expect(activity).toMatchObject({ type: "environment.cron", state: "pending" });
  expect(started.headers.get("location")).toBe(`/api/projects/${projectId}/activities/${activity.id}/log`);
  const worker = startActivityWorker(db);
  try {
    await worker.idle();
  } finally {
    await worker.stop();
  }
  const after = (await (await list("staging", owner)).json()) as { crons: { status: { lastResult: string; lastActivityId: string; failuresInRow: number } }[] };
  expect(after.crons[0]!.status).toMatchObject({ lastResult: "success", lastActivityId: activity.id, failuresInRow: 0 });

  // A viewer may read but not run; a stranger sees nothing.
  const refused = await run("staging", "cronrun", viewer);
  expect(refused.status).toBe(403);
  expect(await refused.json()).toEqual({ error: "Running a cron of Staging needs the contributor role or above on its environment type; yours is viewer." });
  expect((await run("staging", "cronrun", stranger)).status).toBe(404);
  expect((await list("staging", stranger)).status).toBe(404);
  // Names that are not crons of the deployment: 404 with a sentence that quotes at most 64 characters.
  for (const name of ["nope", "../../x", "x".repeat(10_000), "constructor", "__proto__"]) {
    const res = await run("staging", name, owner);
    expect(res.status, name).toBe(404);
    const { error } = (await res.json()) as { error: string };
    expect(error).toMatch(/^Staging's deployed \.magento\.app\.yaml has no cron “.{0,64}”\.$/);
  }
  // Operations: the operation's role is checked (a viewer is below contributor).
  expect((await operate("staging", "clear-cache", owner)).status).toBe(202);
  const below = await operate("staging", "clear-cache", viewer);
  expect(below.status).toBe(403);
  expect(((await below.json()) as { error: string }).error).toMatch(/^The operation clear-cache needs the contributor role or above/);
  expect((await operate("staging", "nope", owner)).status).toBe(404);

  // A deploy that raises the operation's role while a contributor's run waits: it is not run
  // (the role of who asked is checked again); an admin's waiting run still is.
  const asked = await Promise.all([operate("staging", "clear-cache", contributor), operate("staging", "clear-cache", owner)]);
  expect(asked.map((r) => r.status)).toEqual([202, 202]);
  const [byContributor, byAdmin] = (await Promise.all(asked.map((r) => r.json()))) as { activity: { id: string } }[];
  const [staging] = await db.select().from(environments).where(and(eq(environments.projectId, projectId), eq(environments.name, "staging")));
  const deployment = (await latestDeployment(db, staging!.id))!;
  const config = structuredClone(deployment.config) as unknown as { app: { operations: Record<string, { role: string }> } };
  config.app.operations["clear-cache"]!.role = "admin";
  // A deploy adds a deployment (rows are never changed: their checked configs are kept by id).
  const { id: _replaced, ...deployed } = (await db.select().from(deployments).where(eq(deployments.id, deployment.id)))[0]!;
  await db.insert(deployments).values({ ...deployed, config: config as Record<string, unknown>, createdAt: new Date(deployed.createdAt.getTime() + 1) });
  const runner = startActivityWorker(db);
  try {
    await runner.idle();
  } finally {
    await runner.stop();
  }
  const results = await db.select({ id: activities.id, result: activities.result }).from(activities).where(inArray(activities.id, [byContributor!.activity.id, byAdmin!.activity.id]));
  expect(Object.fromEntries(results.map((r) => [r.id, r.result]))).toEqual({ [byContributor!.activity.id]: "failure", [byAdmin!.activity.id]: "success" });
  const lines = (await getActivityLog(db, byContributor!.activity.id)).map((l) => l.text);
  expect(lines).toContain("The operation clear-cache now needs the admin role (a deploy changed .magento.app.yaml after it was asked for by a member whose role is contributor): nothing was run.");
  expect(lines.some((l) => l.includes("flushed"))).toBe(false);
}, 120_000);

it("lets a browser session change things only from the dashboard's own pages", () => {
  const at = (headers: Record<string, string>) => new Request("http://localhost:3000/api/x", { method: "POST", headers });
  expect(isSameOrigin(at({ host: "localhost:3000", origin: "http://localhost:3000" }))).toBe(true);
  expect(isSameOrigin(at({ host: "localhost:3000", origin: "https://evil.example" }))).toBe(false);
  expect(isSameOrigin(at({ host: "localhost:3000" }))).toBe(false);
  expect(isSameOrigin(at({ host: "localhost:3000", origin: "null" }))).toBe(false);
  expect(isSameOrigin(at({ host: "localhost:3000", origin: "http://localhost:3000.evil.example" }))).toBe(false);
  // Behind a proxy that rewrites Host: PUBLIC_URL's origin is the dashboard's.
  expect(isSameOrigin(at({ host: "127.0.0.1:3000", origin: "https://console.example.com" }), "https://console.example.com")).toBe(true);
  expect(isSameOrigin(at({ host: "127.0.0.1:3000", origin: "http://console.example.com" }), "https://console.example.com")).toBe(false);
});
