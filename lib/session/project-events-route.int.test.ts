import { afterAll, beforeAll, expect, it } from "vitest";
import { closeDatabase, getDatabase, getDb, type Db } from "@/db/client";
import { GET } from "@/app/api/projects/[projectId]/events/route";
import { ACTIVITY_KINDS } from "@/lib/activity-kinds";
import { notifyProjectChange } from "@/lib/activities/notify";
import { enqueueActivity } from "@/lib/activities/queue";
import { listEnvironments } from "@/lib/environments/queries";
import { addProjectMember, removeProjectMember } from "@/lib/projects/members";
import { createProject } from "@/lib/projects/create-project";
import { renameProject } from "@/lib/projects/update-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { createApiToken } from "@/lib/tokens/api-tokens";

// The project event stream's route, as a member without access to Production, a stranger and
// a bad address meet it.
let db: Db;
beforeAll(async () => {
  await (await getDatabase()).migrate();
  db = await getDb();
});
afterAll(() => closeDatabase());

const open = (projectId: string, who?: { email: string; token: string }) => {
  const controller = new AbortController();
  const headers: Record<string, string> = who ? { authorization: `Basic ${Buffer.from(`${who.email}:${who.token}`).toString("base64")}` } : {};
  const request = new Request(`http://localhost/api/projects/${projectId}/events`, { headers, signal: controller.signal });
  return { response: GET(request, { params: Promise.resolve({ projectId }) }), close: () => controller.abort() };
};

/** Everything the stream sends until `done` holds, it ends, or three seconds pass. */
async function readUntil(body: ReadableStream<Uint8Array>, done: (text: string) => boolean): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 3000;
  while (!done(text) && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
    if (!next || next.done) break;
    text += decoder.decode(next.value);
  }
  reader.releaseLock();
  return text;
}

it("sends a member only the activities of environment types they may see; strangers, unknown projects and bad tokens get nothing", async () => {
  const owner = await makeUser(db, { isAdmin: true });
  const id = uniqueProjectId("events");
  await createProject(db, owner, { id, title: "Events", plan: "starter", region: "us-3" });
  const member = await makeUser(db);
  await addProjectMember(db, owner, id, member.email, { role: "viewer", production: "none", staging: "viewer", development: "viewer" });
  const memberAuth = { email: member.email, token: (await createApiToken(db, member, "t")).token };
  const stranger = await makeUser(db);
  const strangerAuth = { email: stranger.email, token: (await createApiToken(db, stranger, "t")).token };

  expect((await open(id, { email: member.email, token: "pwi_wrong" }).response).status).toBe(401);
  expect((await open(id, strangerAuth).response).status).toBe(404);
  expect((await open("no-such-project", memberAuth).response).status).toBe(404);

  const stream = open(id, memberAuth);
  const response = await stream.response;
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const body = response.body!;
  expect(await readUntil(body, (t) => t.includes("event: ready"))).toContain("event: ready");

  const envs = await listEnvironments(db, id);
  const enqueue = (name: string) => {
    const env = envs.find((e) => e.name === name)!;
    return enqueueActivity(ACTIVITY_KINDS, db, { projectId: id, environmentId: env.id, environmentName: name, occupies: [env.id], type: "environment.redeploy", description: `Redeploy ${name}`, parameters: {}, createdBy: owner.id });
  };
  const hidden = await enqueue("master"); // Production: the member has no access
  const seen = await enqueue("staging");
  const text = await readUntil(body, (t) => t.includes(seen.id));
  stream.close();
  expect(text).toContain(`"id":"${seen.id}"`);
  expect(text).not.toContain(hidden.id);
  expect(text).not.toContain("Redeploy master");
});

it("sends a member the project's other changes they may see, and ends once they are no longer a member", async () => {
  const owner = await makeUser(db, { isAdmin: true });
  const id = uniqueProjectId("changes");
  await createProject(db, owner, { id, title: "Changes", plan: "starter", region: "us-3" });
  const member = await makeUser(db);
  await addProjectMember(db, owner, id, member.email, { role: "viewer", production: "none", staging: "viewer", development: "viewer" });
  const stream = open(id, { email: member.email, token: (await createApiToken(db, member, "t")).token });
  const body = (await stream.response).body!;
  expect(await readUntil(body, (t) => t.includes("event: ready"))).toContain("event: ready");

  await notifyProjectChange(db, id, "environment", "production"); // the member has no access to Production
  await renameProject(db, owner, id, "Renamed");
  const text = await readUntil(body, (t) => t.includes(`"change":"project"`));
  expect(text).toContain(`event: change\ndata: {"change":"project"}\n\n`);
  expect(text).not.toContain(`"change":"environment"`);

  await removeProjectMember(db, owner, id, member.id);
  let rest = "";
  const reader = body.getReader();
  const deadline = Date.now() + 3000;
  let ended = false;
  while (!ended && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
    if (!next) break;
    if (next.done) ended = true;
    else rest += new TextDecoder().decode(next.value);
  }
  stream.close();
  expect(rest).toContain(`event: change\ndata: {"change":"members"}\n\n`);
  expect(ended, "the stream ends with the membership").toBe(true);
});
