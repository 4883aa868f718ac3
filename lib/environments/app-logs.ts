import "server-only";
import { Readable } from "node:stream";
import type { Environment } from "@/db/schema";
import { canSeeEnvironmentType, type ProjectAccess } from "@/lib/auth/permissions";
import { dataPaths } from "@/lib/paths";
import { appLogPath } from "@/lib/runtime/app-logs/app-log-writers";
import { followLog } from "@/lib/runtime/app-logs/follow-log";
import { AppLogRefused } from "@/lib/runtime/app-logs/log-file";
import { FIXED_APP_LOGS, appLogLabel, checkAppLogName, compareAppLogNames, type AppLogName } from "@/lib/runtime/app-logs/log-names";
import { listAppLogFiles, openLogForReading, readLinesFrom, tailLines, type LogRecord } from "@/lib/runtime/app-logs/read-log";

/**
 * An environment's application logs as the console and the REST API read them: which exist, a
 * tail, a live follow, a download. Each function takes the access the caller holds and answers
 * null for an environment of a type it may not see (viewer and up may read its logs).
 */

export const DEFAULT_TAIL_LINES = 1_000;
export const MAX_TAIL_LINES = 100_000;
/** Lines per answer of a read that does not follow (a poll resuming at an offset). */
const MAX_READ_LINES = 10_000;
const KEEP_ALIVE_MS = 15_000;

export interface AppLogSummary {
  name: AppLogName;
  bytes: number;
  modifiedAt: string | null;
  parts: number;
}

type Env = Pick<Environment, "projectId" | "name" | "type">;

const mayRead = (access: ProjectAccess, env: Env) => access.project.id === env.projectId && canSeeEnvironmentType(access, env.type);

/** The logs written so far (the known ones that exist, and every worker's found): name, size, last change, rotated parts. */
export async function listEnvironmentLogs(access: ProjectAccess, env: Env): Promise<AppLogSummary[] | null> {
  if (!mayRead(access, env)) return null;
  const files = await listAppLogFiles(dataPaths.environmentLogs(env.projectId, env.name));
  return files.map((f) => ({ name: f.name, bytes: f.bytes, modifiedAt: f.modifiedAt?.toISOString() ?? null, parts: f.parts }));
}

export interface OfferedAppLog extends AppLogSummary {
  label: string;
  /** False until the application (or a hook) writes it. */
  exists: boolean;
}

/** What the Logs tab offers: the known logs (written or not yet) and every worker's found, in the console's order. */
export function offeredAppLogs(written: readonly AppLogSummary[]): OfferedAppLog[] {
  const byName = new Map(written.map((l) => [l.name, l]));
  const names = [...new Set<AppLogName>([...FIXED_APP_LOGS, ...written.map((l) => l.name)])].sort(compareAppLogNames);
  return names.map((name) => {
    const log = byName.get(name);
    return { name, label: appLogLabel(name), exists: Boolean(log), bytes: log?.bytes ?? 0, modifiedAt: log?.modifiedAt ?? null, parts: log?.parts ?? 0 };
  });
}

export type AppLogStreamFormat = "ndjson" | "sse";

export interface AppLogStreamOptions {
  /** How many of the newest lines come first (ignored with `from`). */
  lines: number;
  /** Resume just after this byte offset (a record's `offset`, or SSE's Last-Event-ID) instead of a tail. */
  from: number | null;
  /** Keep sending new lines until the client leaves, `signal` aborts or `closeWhen` says so. */
  follow: boolean;
  format: AppLogStreamFormat;
  signal?: AbortSignal;
  closeWhen?: (close: () => void) => () => void;
}

export function encodeLogRecord(format: AppLogStreamFormat, record: LogRecord): string {
  const json = JSON.stringify({ line: record.line, offset: record.offset });
  return format === "ndjson" ? `${json}\n` : `id: ${record.offset}\nevent: line\ndata: ${json}\n\n`;
}

/**
 * A log as a stream: NDJSON `{"line","offset"}` per line, or Server-Sent Events (`event: line`,
 * `id:` its offset, so an EventSource resumes through Last-Event-ID). The newest `lines` lines
 * first (or everything after `from`), then, when following, new lines as they are written, across
 * rotations. Lines are read only as the client takes them; when it leaves (the stream is
 * cancelled, or `signal` aborts), the follower and its watch end. Null: no access.
 */
export function openAppLogStream(access: ProjectAccess, env: Env, name: AppLogName, options: AppLogStreamOptions): ReadableStream<Uint8Array> | null {
  if (!mayRead(access, env) || !checkAppLogName(name).ok) return null;
  const file = appLogPath(env.projectId, env.name, name);
  const encoder = new TextEncoder();
  const stop = new AbortController();
  let closed = false;
  let stopWatching = () => {};
  let keepAlive: NodeJS.Timeout | null = null;
  let initial: LogRecord[] | null = null;
  let resumeAt = { from: 0, inode: null as number | null };
  let follower: AsyncGenerator<LogRecord[], void, undefined> | null = null;

  const end = () => {
    if (closed) return;
    closed = true;
    stop.abort();
    stopWatching();
    if (keepAlive) clearInterval(keepAlive);
    options.signal?.removeEventListener("abort", onAbort);
  };
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | null = null;
  const onAbort = () => {
    end();
    // A follower waiting between chunks ends too (its watch with it), not only at its next line.
    void follower?.return(undefined);
    try {
      controllerRef?.close();
    } catch {
      /* already closed */
    }
  };
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, records: readonly LogRecord[]) => {
    if (!closed && records.length > 0) controller.enqueue(encoder.encode(records.map((r) => encodeLogRecord(options.format, r)).join("")));
  };

  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        controllerRef = controller;
        if (options.signal?.aborted) return onAbort();
        options.signal?.addEventListener("abort", onAbort);
        if (options.format === "sse") {
          controller.enqueue(encoder.encode("retry: 1000\n\n"));
          if (options.follow) keepAlive = setInterval(() => !closed && controller.enqueue(encoder.encode(": keep-alive\n\n")), KEEP_ALIVE_MS);
        } else controller.enqueue(new Uint8Array(0)); // the answer's headers go now (Next.js sends them with the first chunk), not with the first line a quiet log writes
        // A link or a FIFO planted at the log's path reads as no lines (and is never opened through).
        const read = await (options.from !== null ? readLinesFrom(file, options.from, MAX_READ_LINES) : tailLines(file, options.lines)).catch((e: unknown) => {
          if (e instanceof AppLogRefused) return { lines: [], end: 0, inode: null };
          throw e;
        });
        initial = read.lines;
        resumeAt = { from: read.end, inode: read.inode };
        if (options.follow && options.closeWhen) stopWatching = options.closeWhen(onAbort);
      },
      async pull(controller) {
        if (closed) return;
        if (initial && initial.length > 0) {
          // The first lines go out in slices, as the client takes them.
          send(controller, initial.splice(0, 2_000));
          return;
        }
        if (!options.follow) {
          end();
          controller.close();
          return;
        }
        follower ??= followLog(file, { from: resumeAt.from, inode: resumeAt.inode, signal: stop.signal });
        const next = await follower.next();
        if (next.done || closed) {
          if (!closed) {
            end();
            controller.close();
          }
          return;
        }
        send(controller, next.value);
      },
      async cancel() {
        end();
        await follower?.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/** The whole current file of a log, as a stream read as the client takes it; null without access or without a file. */
export async function openAppLogDownload(access: ProjectAccess, env: Env, name: AppLogName): Promise<ReadableStream<Uint8Array> | null> {
  if (!mayRead(access, env) || !checkAppLogName(name).ok) return null;
  const handle = await openLogForReading(appLogPath(env.projectId, env.name, name)).catch((e: unknown) => {
    if (e instanceof AppLogRefused) return null;
    throw e;
  });
  if (!handle) return null;
  return Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>;
}

/** The file name a download gets: `<project>-<environment>-<log>.log`. */
export function appLogDownloadName(env: Env, name: AppLogName): string {
  return `${env.projectId}-${env.name}-${name}.log`;
}

export type { AppLogName, LogRecord };
export { appLogLabel, checkAppLogName };
