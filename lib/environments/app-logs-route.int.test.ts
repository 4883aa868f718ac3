import { afterAll, beforeAll, expect, it } from "vitest";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import { GET as getLog } from "@/app/api/projects/[projectId]/environments/[environmentName]/logs/[logName]/route";
import { GET as listLogs } from "@/app/api/projects/[projectId]/environments/[environmentName]/logs/route";
import { addProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { closeEnvironmentLogs, openAppLog } from "@/lib/runtime/app-logs/app-log-writers";
import { activeLogWatches } from "@/lib/runtime/app-logs/follow-log";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { createApiToken } from "@/lib/tokens/api-tokens";

// The application logs' routes as a member, a member without Production, a stranger, a member of
// another project and a hostile name meet them.
let db: Db;
let projectId: string;
let otherProjectId: string;
type Who = { email: string; token: string };
let owner: Who;
let member: Who; // viewer of staging and development, no access to production
let stranger: Who;
let otherMember: Who; // viewer of everything in another project
const ACCESS_LINE = "2026-12-06T07:40:00.123Z GET /index.php 200 12ms 5120 203.0.113.7";

beforeAll(async () => {
  await (await getDatabase()).migrate();
  db = await getDb();
  const admin = await makeUser(db, { isAdmin: true });
  const who = async (user: Awaited<ReturnType<typeof makeUser>>) => ({ email: user.email, token: (await createApiToken(db, user, "t")).token });
  owner = await who(admin);
  projectId = uniqueProjectId("applogs");
  await createProject(db, admin, { id: projectId, title: "App logs", plan: "starter", region: "us-3" });
  otherProjectId = uniqueProjectId("other");
  await createProject(db, admin, { id: otherProjectId, title: "Other", plan: "starter", region: "us-3" });
  const m = await makeUser(db);
  await addProjectMember(db, admin, projectId, m.email, { role: "viewer", production: "none", staging: "viewer", development: "viewer" });
  member = await who(m);
  stranger = await who(await makeUser(db));
  const o = await makeUser(db);
  await addProjectMember(db, admin, otherProjectId, o.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
  otherMember = await who(o);

  const access = openAppLog(projectId, "staging", "access");
  const app = openAppLog(projectId, "staging", "app");
  for (let i = 1; i <= 5; i++) app.line(`app line ${i}`);
  access.line(ACCESS_LINE);
  openAppLog(projectId, "master", "error").line("production's error");
  await closeEnvironmentLogs(projectId, "staging");
  await closeEnvironmentLogs(projectId, "master");
});
afterAll(() => closeDatabase());

/**
 * The requests made, kept: a Request's own signal follows the one it was made with only while the
 * Request is alive (undici holds its controller weakly), and a collected one would never tell
 * the route that the client went away.
 */
const made: Request[] = [];
const request = (path: string, who: Who | null, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) => {
  const r = new Request(`http://localhost/api/projects/${path}`, {
    headers: { ...(who ? { authorization: `Basic ${Buffer.from(`${who.email}:${who.token}`).toString("base64")}` } : {}), ...init.headers },
    signal: init.signal,
  });
  made.push(r);
  return r;
};
const list = (project: string, env: string, who: Who | null) => listLogs(request(`${project}/environments/${env}/logs`, who), { params: Promise.resolve({ projectId: project, environmentName: env }) });
const log = (project: string, env: string, name: string, query: string, who: Who | null, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
  getLog(request(`${project}/environments/${env}/logs/${name}${query}`, who, init), { params: Promise.resolve({ projectId: project, environmentName: env, logName: name }) });
const records = async (res: Response) => (await res.text()).trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { line: string; offset: number });

/** Reads a stream until `done` holds of what came (or three seconds pass). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, done: (text: string) => boolean, text = ""): Promise<string> {
  const decoder = new TextDecoder();
  const deadline = Date.now() + 3000;
  while (!done(text) && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
    if (!next || next.done) break;
    text += decoder.decode(next.value);
  }
  return text;
}

it("lists the logs written so far, to viewers of the environment only; everyone else gets 404", async () => {
  const res = await list(projectId, "staging", member);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { logs: { name: string; bytes: number; modifiedAt: string; parts: number }[] };
  expect(body.logs.map((l) => l.name)).toEqual(["access", "app"]);
  expect(body.logs[0]).toMatchObject({ name: "access", bytes: ACCESS_LINE.length + 1, parts: 0 });
  expect(Date.parse(body.logs[0]!.modifiedAt)).toBeGreaterThan(0);

  expect((await list(projectId, "staging", { email: member.email, token: "pwi_wrong" })).status).toBe(401);
  expect((await list(projectId, "staging", stranger)).status).toBe(404);
  expect((await list(projectId, "staging", otherMember)).status).toBe(404); // a viewer of another project
  expect((await list(projectId, "master", member)).status).toBe(404); // no access to Production
  expect((await list(projectId, "no-such-env", owner)).status).toBe(404);
  expect(((await (await list(projectId, "master", owner)).json()) as { logs: { name: string }[] }).logs.map((l) => l.name)).toEqual(["error"]);
});

it("answers the newest lines as NDJSON with the offset after each; a bad name or count gets 400 with a sentence", async () => {
  const res = await log(projectId, "staging", "app", "?lines=2", member);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/x-ndjson");
  const got = await records(res);
  expect(got.map((r) => r.line.slice(25))).toEqual(["app line 4", "app line 5"]);
  expect(got[1]!.offset).toBe(got[0]!.offset + got[1]!.line.length + 1);
  expect(await records(await log(projectId, "staging", "app", "", member))).toHaveLength(5); // default: 1,000
  expect(await records(await log(projectId, "staging", "worker-queue", "", member))).toEqual([]); // not written yet
  // Resuming after an offset gives what follows it.
  expect((await records(await log(projectId, "staging", "app", `?from=${got[0]!.offset}`, member))).map((r) => r.line.slice(25))).toEqual(["app line 5"]);

  for (const name of ["..%2Fx", "app%2F..%2F..%2Fetc", "worker-..", "%2Fetc%2Fpasswd", "APP", "app.log"]) {
    const bad = await log(projectId, "staging", name, "", member);
    expect(bad.status, name).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^A log is access, error, app, deploy, post-deploy, cron, worker-<name> .* or service-<id>/);
  }
  for (const query of ["?lines=100001", "?lines=-1", "?lines=ten", "?from=x", "?from=-5"]) expect((await log(projectId, "staging", "app", query, member)).status, query).toBe(400);
  // The gate comes first: someone who may not see the environment learns nothing, hostile name or not.
  expect((await log(projectId, "staging", "..%2Fx", "", stranger)).status).toBe(404);
  expect((await log(projectId, "staging", "app", "", otherMember)).status).toBe(404);
  expect((await log(projectId, "master", "error", "", member)).status).toBe(404);
  expect((await log(otherProjectId, "staging", "app", "", member)).status).toBe(404);
});

it("follows as NDJSON: new lines arrive as written; when the client goes away the follower and its watch end", async () => {
  const abort = new AbortController();
  const res = await log(projectId, "staging", "app", "?lines=1&follow=1", member, { signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let text = await readUntil(reader, (t) => t.includes("app line 5"));
  expect(text).toContain("app line 5");
  expect(text).not.toContain("app line 4");
  const writer = openAppLog(projectId, "staging", "app");
  writer.line("live line");
  text = await readUntil(reader, (t) => t.includes("live line"), text);
  expect(text).toContain("live line");
  expect(activeLogWatches().followers).toBe(1);
  abort.abort(); // the client went away
  await expect.poll(() => activeLogWatches(), { timeout: 5_000 }).toEqual({ folders: 0, followers: 0 });
  await writer.close();

  // The same when the body is cancelled (the server stopped sending it).
  const again = await log(projectId, "staging", "app", "?lines=0&follow=1", member);
  const r2 = again.body!.getReader();
  const pending = r2.read();
  await expect.poll(() => activeLogWatches().followers).toBe(1);
  await r2.cancel();
  await pending;
  await expect.poll(() => activeLogWatches(), { timeout: 5_000 }).toEqual({ folders: 0, followers: 0 });
});

it("follows as Server-Sent Events with the offset as each event's id, and resumes after Last-Event-ID", async () => {
  const hook = openAppLog(projectId, "staging", "post-deploy");
  for (const line of ["warming caches", "cache warmed", "done"]) hook.line(line);
  await hook.flush();
  const abort = new AbortController();
  const res = await log(projectId, "staging", "post-deploy", "?lines=2&follow=1", member, { headers: { accept: "text/event-stream" }, signal: abort.signal });
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reader = res.body!.getReader();
  const text = await readUntil(reader, (t) => t.includes(" done"));
  abort.abort();
  expect(text.startsWith("retry: 1000\n\n")).toBe(true);
  const events = text.split("\n\n").filter((e) => e.includes("data: "));
  expect(events).toHaveLength(2);
  const [, id, data] = /^id: (\d+)\nevent: line\ndata: (.*)$/.exec(events[0]!)!;
  expect(JSON.parse(data!)).toEqual({ line: expect.stringMatching(/Z cache warmed$/), offset: Number(id) });

  // An EventSource reconnecting sends the last id it saw: the stream goes on just after it.
  const resume = new AbortController();
  const resumed = await log(projectId, "staging", "post-deploy", "?lines=2&follow=1", member, { headers: { accept: "text/event-stream", "last-event-id": id! }, signal: resume.signal });
  const resumedReader = resumed.body!.getReader();
  let again = await readUntil(resumedReader, (t) => t.includes(" done"));
  expect(again).not.toContain("cache warmed");
  hook.line("after the reconnect");
  again = await readUntil(resumedReader, (t) => t.includes("after the reconnect"), again);
  resume.abort();
  expect(again.split("\n\n").filter((e) => e.includes("data: ")).map((e) => (JSON.parse(/data: (.*)$/.exec(e)![1]!) as { line: string }).line.slice(25))).toEqual(["done", "after the reconnect"]);
  await hook.close();
  await expect.poll(() => activeLogWatches(), { timeout: 5_000 }).toEqual({ folders: 0, followers: 0 });
});

it("downloads the current file as a text attachment named after the project, environment and log", async () => {
  const res = await log(projectId, "staging", "access", "?download=1", member);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${projectId}-staging-access.log"`);
  expect(await res.text()).toBe(`${ACCESS_LINE}\n`);
  expect((await log(projectId, "staging", "deploy", "?download=1", member)).status).toBe(404);
  expect((await log(projectId, "staging", "access", "?download=1", stranger)).status).toBe(404);
});
