import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { ActivityLog, MAX_LINE_BYTES } from "./activity-log";
import { openActivityStream } from "./log-stream";
import { enqueueActivity, finishActivity, getActivityLog } from "./queue";
import { ACTIVITY_KINDS } from "@/lib/activity-kinds";

interface Sse {
  id?: string;
  event: string;
  data: string;
}

/** Reads SSE events from a stream as they arrive. */
function sseReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const events: Sse[] = [];
  let done = false;
  const pump = (async () => {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const e: Sse = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) e.id = line.slice(4);
          else if (line.startsWith("event: ")) e.event = line.slice(7);
          else if (line.startsWith("data: ")) e.data = line.slice(6);
        }
        if (e.data) events.push(e);
      }
    }
    done = true;
  })();
  return {
    events,
    isDone: () => done,
    pump,
    cancel: () => reader.cancel(),
    async until(pred: () => boolean, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out; got ${events.length} events`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describeEachDatabase("live activity logs", ({ db }) => {
  async function runningActivity() {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("logs");
    await createProject(db(), admin, { id, title: "Logs", plan: "starter", region: "us-3" });
    await db().update(activities).set({ state: "complete", result: "success" }).where(eq(activities.projectId, id));
    const [staging] = await db().select().from(environments).where(eq(environments.name, "staging"));
    const activity = await enqueueActivity(ACTIVITY_KINDS, db(), {
      projectId: id,
      environmentId: staging!.id,
      environmentName: "staging",
      occupies: [staging!.id],
      type: "environment.redeploy",
      description: "Log test",
      parameters: {},
      createdBy: admin.id,
    });
    const [running] = await db().update(activities).set({ state: "in_progress", startedAt: new Date() }).where(eq(activities.id, activity.id)).returning();
    return running!;
  }

  it("streams lines as they are written, resumes after a line without gaps or duplicates, and seals", async () => {
    const activity = await runningActivity();
    const log = new ActivityLog(db(), activity.id, 0, ["s3cr3t-value"]);
    const first = sseReader(openActivityStream(db(), activity, { after: 0, format: "sse", follow: true }));
    for (let i = 1; i <= 300; i++) log.line(`line ${i}${i === 7 ? " token=s3cr3t-value" : ""}`, "stdout");
    await log.flush();
    await first.until(() => first.events.filter((e) => e.event === "line").length === 300);
    const lines = first.events.filter((e) => e.event === "line");
    expect(lines.map((e) => Number(e.id))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(JSON.parse(lines[6]!.data).text).toBe("line 7 token=******");
    await first.cancel();

    // A reconnect after line 250 gets 251… exactly once, then new lines as they come.
    const second = sseReader(openActivityStream(db(), activity, { after: 250, format: "sse", follow: true }));
    await second.until(() => second.events.filter((e) => e.event === "line").length === 50);
    log.line("after reconnect", "stderr");
    await log.flush();
    await finishActivity(db(), activity.id, { state: "complete", result: "success" });
    await second.until(() => second.isDone());
    const got = second.events.filter((e) => e.event === "line").map((e) => Number(e.id));
    expect(got).toEqual(Array.from({ length: 51 }, (_, i) => i + 251));
    const seal = second.events.at(-1)!;
    expect(seal.event).toBe("seal");
    expect(JSON.parse(seal.data)).toMatchObject({ state: "complete", result: "success", lines: 301 });
  });

  it("ends a followed stream when the session ends, without a seal", async () => {
    const activity = await runningActivity();
    const log = new ActivityLog(db(), activity.id);
    log.line("before expiry", "stdout");
    await log.flush();
    const reader = sseReader(openActivityStream(db(), activity, { after: 0, format: "sse", follow: true, closeWhen: (close) => {
      const timer = setTimeout(close, 300);
      return () => clearTimeout(timer);
    } }));
    await reader.until(() => reader.isDone(), 5_000);
    expect(reader.events.map((e) => e.event)).toEqual(["state", "line"]);
  });

  it("answers NDJSON of what is stored, and cuts long lines and stops storing past the size limit", async () => {
    const activity = await runningActivity();
    const log = new ActivityLog(db(), activity.id, 0, [], 64 * 1024);
    log.line("x".repeat(MAX_LINE_BYTES + 10), "stdout");
    for (let i = 0; i < 20; i++) log.line("y".repeat(4000), "stdout");
    log.line("the activity's own line still arrives", "system");
    await log.flush();
    const stored = await getActivityLog(db(), activity.id);
    expect(stored[0]!.text).toMatch(/ … \[line cut: 16394 bytes\]$/);
    expect(Buffer.byteLength(stored[0]!.text)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(stored.some((l) => l.text.startsWith("Log limit reached"))).toBe(true);
    expect(stored.at(-1)!.text).toBe("the activity's own line still arrives");
    expect(stored.length).toBeLessThan(22);

    const text = await new Response(openActivityStream(db(), activity, { after: stored.length - 1, format: "ndjson", follow: false })).text();
    const objects = text.trim().split("\n").map((l) => JSON.parse(l) as { type: string; n?: number });
    expect(objects.map((o) => o.type)).toEqual(["state", "line"]); // still running: no seal
    expect(objects[1]!.n).toBe(stored.length);
  });
});
