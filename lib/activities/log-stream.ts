import "server-only";
import { eq } from "drizzle-orm";
import { listenToChannel, type Db } from "@/db/client";
import { activities, type Activity } from "@/db/schema";
import { toActivityView, type ActivityView } from "@/lib/activities/activity-view";
import { ACTIVITY_CHANNEL, parseActivityEvent } from "./notify";
import { getActivityLog, lastLogSeq } from "./log-store";

export interface LogLineView {
  n: number;
  at: string;
  stream: "stdout" | "stderr" | "system";
  section: string | null;
  text: string;
}

export interface SealView {
  state: Activity["state"];
  result: Activity["result"];
  completedAt: string | null;
  lines: number;
}

export type LogEvent = { type: "line"; line: LogLineView } | { type: "state"; activity: ActivityView } | { type: "seal"; seal: SealView };

const RING_LINES = 5_000;
const PAGE_LINES = 2_000;
/** Without a notification, a followed activity is looked at once a second (a missed NOTIFY, a dead worker). */
const FALLBACK_POLL_MS = 1_000;
const KEEP_ALIVE_MS = 15_000;

export function toLineView(l: { seq: number; at: Date; stream: string; section: string | null; text: string }): LogLineView {
  return { n: l.seq, at: l.at.toISOString(), stream: l.stream as LogLineView["stream"], section: l.section, text: l.text };
}

function isEnded(a: Activity): boolean {
  return a.state === "complete" || a.state === "cancelled";
}

/**
 * One per followed activity and process, shared by all its viewers: keeps the newest
 * lines in memory, reads new ones once per notification (not once per viewer), and
 * wakes the viewers waiting for them.
 */
class ActivityTail {
  private ring: LogLineView[] = [];
  stateVersion = 0;
  refs = 0;
  private refreshing: Promise<void> | null = null;
  private again: { state: boolean } | null = null;
  private waiters = new Set<() => void>();
  private poll: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    public activity: Activity,
    public cursor: number,
  ) {
    this.poll = setInterval(() => {
      if (this.waiters.size > 0) void this.refresh(true);
    }, FALLBACK_POLL_MS);
  }

  close() {
    clearInterval(this.poll);
    this.waiters.forEach((w) => w());
  }

  /** Reads what is new. The state is read before the lines: once it says "ended", every line is stored and read. */
  refresh(readState: boolean): Promise<void> {
    if (this.refreshing) {
      this.again = { state: (this.again?.state ?? false) || readState };
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        if (readState && !isEnded(this.activity)) {
          const [row] = await this.db.select().from(activities).where(eq(activities.id, this.activity.id));
          if (row && (row.state !== this.activity.state || row.phase !== this.activity.phase || row.cancelRequested !== this.activity.cancelRequested || row.progress !== this.activity.progress)) {
            this.activity = row;
            this.stateVersion++;
          }
        }
        for (;;) {
          const rows = await getActivityLog(this.db, this.activity.id, this.cursor, PAGE_LINES);
          for (const r of rows) this.ring.push(toLineView(r));
          if (this.ring.length > RING_LINES) this.ring.splice(0, this.ring.length - RING_LINES);
          if (rows.length > 0) this.cursor = rows.at(-1)!.seq;
          if (rows.length < PAGE_LINES) break;
        }
      } catch (err) {
        console.error(`[log-stream] reading activity ${this.activity.id} failed:`, err);
      } finally {
        this.refreshing = null;
        const waiters = [...this.waiters];
        this.waiters.clear();
        waiters.forEach((w) => w());
      }
      const again = this.again;
      this.again = null;
      if (again) await this.refresh(again.state);
    })();
    return this.refreshing;
  }

  async linesAfter(after: number, max: number): Promise<LogLineView[]> {
    if (after >= this.cursor) return [];
    const first = this.ring[0];
    if (first && after >= first.n - 1) {
      const start = after - first.n + 1;
      return this.ring.slice(start, start + max);
    }
    return (await getActivityLog(this.db, this.activity.id, after, max)).map(toLineView);
  }

  isSealedAt(after: number): boolean {
    return isEnded(this.activity) && after >= this.cursor;
  }

  /** Resolves after the next refresh (a notification, or the once-a-second look). */
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }
}

const key = Symbol.for("pwi.log-tails");
type Tails = { tails: Map<string, ActivityTail>; listening: Promise<unknown> | null };
type G = typeof globalThis & { [key]?: WeakMap<Db, Tails> };

/** The followed activities of one database in this process, and its one LISTEN. */
function registry(db: Db): Tails {
  const g = globalThis as G;
  const all = (g[key] ??= new WeakMap());
  let r = all.get(db);
  if (!r) all.set(db, (r = { tails: new Map(), listening: null }));
  const tails = r.tails;
  r.listening ??= listenToChannel(db, ACTIVITY_CHANNEL, (payload) => {
    const event = parseActivityEvent(payload);
    const tail = event && tails.get(event.activityId);
    if (tail) void tail.refresh(event.kind === "state");
  }).catch((err) => {
    console.error("[log-stream] LISTEN failed; viewers fall back to a once-a-second look:", err);
    r!.listening = null;
  });
  return r;
}

async function acquireTail(db: Db, activity: Activity): Promise<ActivityTail> {
  const r = registry(db);
  await r.listening;
  let tail = r.tails.get(activity.id);
  if (!tail) {
    // The tail starts at the end of what is stored: older lines are read only by viewers that ask for them.
    tail = new ActivityTail(db, activity, await lastLogSeq(db, activity.id));
    r.tails.set(activity.id, tail);
    await tail.refresh(true);
  }
  tail.refs++;
  return tail;
}

function releaseTail(db: Db, tail: ActivityTail) {
  if (--tail.refs > 0) return;
  registry(db).tails.delete(tail.activity.id);
  tail.close();
}

function sealOf(activity: Activity, lines: number): SealView {
  return { state: activity.state, result: activity.result, completedAt: activity.completedAt?.toISOString() ?? null, lines };
}

export type StreamFormat = "sse" | "ndjson";

export function encodeEvent(format: StreamFormat, event: LogEvent): string {
  if (format === "ndjson") {
    if (event.type === "line") return `${JSON.stringify({ type: "line", ...event.line })}\n`;
    if (event.type === "state") return `${JSON.stringify({ type: "state", activity: event.activity })}\n`;
    return `${JSON.stringify({ type: "seal", ...event.seal })}\n`;
  }
  if (event.type === "line") return `id: ${event.line.n}\nevent: line\ndata: ${JSON.stringify(event.line)}\n\n`;
  if (event.type === "state") return `event: state\ndata: ${JSON.stringify(event.activity)}\n\n`;
  return `event: seal\ndata: ${JSON.stringify(event.seal)}\n\n`;
}

/**
 * An activity's log from line `after` + 1: every line once, in order, then a seal when
 * the activity has ended. With `follow` it waits for new lines (woken by NOTIFY) until the
 * seal or until `closeWhen` says to stop (the session ended); without, it sends what is stored now.
 * Backpressure comes from the reader: lines are read only when the client takes them.
 */
export function openActivityStream(
  db: Db,
  activity: Activity,
  options: { after: number; format: StreamFormat; follow: boolean; closeWhen?: (close: () => void) => () => void },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = options.after;
  let tail: ActivityTail | null = null;
  let closed = false;
  let sentStateVersion = -1;
  const timers: NodeJS.Timeout[] = [];
  let stopWatching = () => {};
  const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (closed) return;
    closed = true;
    timers.forEach((t) => clearTimeout(t));
    stopWatching();
    if (tail) releaseTail(db, tail);
    controller.close();
  };
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    if (!closed) controller.enqueue(encoder.encode(text));
  };

  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        if (!options.follow) {
          const lines = (await getActivityLog(db, activity.id, after, 10_000)).map(toLineView);
          send(controller, encodeEvent(options.format, { type: "state", activity: toActivityView(activity) }));
          for (const line of lines) send(controller, encodeEvent(options.format, { type: "line", line }));
          const last = lines.at(-1)?.n ?? after;
          if (isEnded(activity) && lines.length < 10_000) send(controller, encodeEvent(options.format, { type: "seal", seal: sealOf(activity, last) }));
          closed = true;
          controller.close();
          return;
        }
        tail = await acquireTail(db, activity);
        if (options.format === "sse") {
          send(controller, "retry: 1000\n\n");
          const keepAlive = setInterval(() => send(controller, ": keep-alive\n\n"), KEEP_ALIVE_MS);
          timers.push(keepAlive as unknown as NodeJS.Timeout);
        }
        if (options.closeWhen) stopWatching = options.closeWhen(() => finish(controller));
      },
      async pull(controller) {
        while (!closed && tail) {
          if (sentStateVersion !== tail.stateVersion) {
            sentStateVersion = tail.stateVersion;
            send(controller, encodeEvent(options.format, { type: "state", activity: toActivityView(tail.activity) }));
          }
          const lines = await tail.linesAfter(after, 2_000);
          if (lines.length > 0) {
            send(controller, lines.map((line) => encodeEvent(options.format, { type: "line", line })).join(""));
            after = lines.at(-1)!.n;
            return;
          }
          if (tail.isSealedAt(after)) {
            send(controller, encodeEvent(options.format, { type: "seal", seal: sealOf(tail.activity, after) }));
            finish(controller);
            return;
          }
          await tail.wait();
        }
      },
      cancel() {
        closed = true;
        timers.forEach((t) => clearTimeout(t));
        stopWatching();
        if (tail) releaseTail(db, tail);
      },
    },
    { highWaterMark: 1 },
  );
}

export function streamHeaders(format: StreamFormat): HeadersInit {
  return {
    "content-type": format === "sse" ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    // no-transform keeps compression (and proxies) from buffering the stream.
    "cache-control": "no-cache, no-store, no-transform",
    "x-accel-buffering": "no",
  };
}

/**
 * Follows an activity from its first line to its end, calling `onLine` for each line in order
 * (waiting for each: the reader sets the pace), and resolves the ended activity (or null when `signal` stopped the following first). Shares
 * the process's tail of that activity with its other viewers.
 */
export async function followActivity(db: Db, activity: Activity, onLine: (line: LogLineView) => void | Promise<void>, signal: AbortSignal): Promise<Activity | null> {
  const tail = await acquireTail(db, activity);
  const wake = () => tail.refresh(false);
  signal.addEventListener("abort", wake);
  try {
    let after = 0;
    while (!signal.aborted) {
      const lines = await tail.linesAfter(after, PAGE_LINES);
      for (const line of lines) {
        if (signal.aborted) return null;
        await onLine(line);
      }
      if (lines.length > 0) {
        after = lines.at(-1)!.n;
        continue;
      }
      if (tail.isSealedAt(after)) return tail.activity;
      await tail.wait();
    }
    return null;
  } finally {
    signal.removeEventListener("abort", wake);
    releaseTail(db, tail);
  }
}
