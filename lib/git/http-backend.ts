import "server-only";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import stream, { Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import zlib from "node:zlib";
import { childProcessEnv } from "@/lib/env";
import { repositoryPath } from "./repository";

export type GitService = "info/refs" | "git-upload-pack" | "git-receive-pack";

/** What a git request got: git's own answer, or a refusal of its body before git acted on it. */
export type BackendAnswer =
  | { kind: "answer"; status: number; headers: Headers; body: ReadableStream<Uint8Array>; exited: Promise<void> }
  | { kind: "too-large"; limitBytes: number }
  | { kind: "bad-body"; message: string };

/** A fetch's negotiation is small: git itself buffers at most 10 MiB of it (http.maxRequestBuffer). */
export const MAX_FETCH_REQUEST_BYTES = 8 * 1024 * 1024; // under git's own 10 MiB, so this limit answers first
/** git's own answer to a push (status report and progress) is small; more is not a git answer. */
const MAX_PUSH_ANSWER_BYTES = 16 * 1024 * 1024;
const MAX_HEADER_BYTES = 64 * 1024;

class TooLarge extends Error {}

/** Counts bytes through a stream and fails it past `limit`. */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(new TooLarge());
      else done(null, chunk);
    },
  });
}

/**
 * Streams a request body into git: gunzipped when the client compressed it, with at most
 * `limit` bytes after decompression (a gzip bomb is stopped at the limit, never held in
 * memory). Resolves how it ended; never throws (git closing its input early is not an error
 * here: git's answer says why).
 */
async function pumpBody(body: ReadableStream<Uint8Array>, gzip: boolean, limit: number, into: Writable): Promise<"ok" | "too-large" | { message: string }> {
  into.on("error", () => {}); // EPIPE when git stops reading: its answer tells the client
  const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  try {
    if (gzip) await pipeline(source, zlib.createGunzip(), capped(limit), into);
    else await pipeline(source, capped(limit), into);
    return "ok";
  } catch (err) {
    if (err instanceof TooLarge) return "too-large";
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ERR_STREAM_PREMATURE_CLOSE") return "ok";
    if (code?.startsWith("Z_")) return { message: "The request body is not valid gzip." };
    return { message: `The request body could not be read (${code ?? (err as Error).message}).` };
  }
}

/** Splits git's CGI answer into status, headers and the start of the body. */
function parseHead(raw: Buffer): { status: number; headers: Headers; rest: Buffer } | null {
  let split = raw.indexOf("\r\n\r\n");
  let sep = 4;
  if (split < 0) {
    split = raw.indexOf("\n\n");
    sep = 2;
  }
  if (split < 0) return null;
  const headers = new Headers();
  let status = 200;
  for (const line of raw.subarray(0, split).toString("latin1").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers.set(name, value);
  }
  return { status, headers, rest: raw.subarray(split + sep) };
}

/** Reads stdout until the end of git's CGI headers, then pauses it (the rest stays in the stream). */
function readHead(stdout: Readable): Promise<{ status: number; headers: Headers; rest: Buffer } | null> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const done = (value: ReturnType<typeof parseHead>) => {
      stdout.off("data", onData);
      stdout.off("end", onEnd);
      stdout.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const head = parseHead(buffered);
      if (head) done(head);
      else if (buffered.length > MAX_HEADER_BYTES) done(null);
    };
    const onEnd = () => done(parseHead(buffered));
    stdout.on("data", onData);
    stdout.once("end", onEnd);
  });
}

/** git's answer after its headers, as a stream; past `limit` bytes git is stopped (a push's answer is small). */
function answerBody(stdout: Readable, rest: Buffer, limit: number, child: ChildProcessWithoutNullStreams): ReadableStream<Uint8Array> {
  if (rest.length > 0) stdout.unshift(rest);
  let size = 0;
  const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) {
          child.kill("SIGKILL");
          done(null);
        } else done(null, chunk);
      },
    });
  // A reader that goes away destroys git's output too (git stops at its next write).
  stream.pipeline(stdout, counted, () => {});
  return Readable.toWeb(counted) as unknown as ReadableStream<Uint8Array>;
}

/**
 * Runs `git http-backend` (CGI) for one request against the project's bare repository.
 * Arguments and environment are ours; the path was validated by the caller. The request
 * body is streamed in (capped after decompression); git's answer is streamed out as it comes
 * (a push's carries its hooks' lines live: the deploys it waits for), and `exited` resolves
 * once git has finished (so the caller can record what a push applied if its hook did not).
 * `hiddenRefs` are left out of what git advertises and may not be fetched or pushed by
 * name (transfer.hideRefs); `push` carries the pre-receive hook's socket and ticket.
 */
export async function runHttpBackend(options: {
  projectId: string;
  service: GitService;
  method: string;
  query: string;
  contentType: string | null;
  body: ReadableStream<Uint8Array> | null;
  gzip: boolean;
  maxBodyBytes: number;
  remoteUser: string;
  hiddenRefs: readonly string[];
  push?: { socketPath: string; ticket: string };
}): Promise<BackendAnswer> {
  const repo = repositoryPath(options.projectId);
  const config: [string, string][] = [
    ...options.hiddenRefs.map((ref): [string, string] => ["transfer.hideRefs", ref]),
    ["receive.maxInputSize", String(options.maxBodyBytes)],
    ["receive.advertisePushOptions", "true"],
    ["receive.procReceiveRefs", "refs/heads/"],
    ["core.hooksPath", path.join(repo, "hooks")],
  ];
  const child = spawn("git", ["http-backend"], {
    env: childProcessEnv({
      GIT_PROJECT_ROOT: path.dirname(repo),
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: `/${path.basename(repo)}/${options.service}`,
      REQUEST_METHOD: options.method,
      QUERY_STRING: options.query,
      CONTENT_TYPE: options.contentType ?? "",
      REMOTE_USER: options.remoteUser,
      REMOTE_ADDR: "127.0.0.1",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_COUNT: String(config.length),
      ...Object.fromEntries(config.flatMap(([k, v], i) => [[`GIT_CONFIG_KEY_${i}`, k], [`GIT_CONFIG_VALUE_${i}`, v]])),
      ...(options.push ? { PWI_PUSH_SOCKET: options.push.socketPath, PWI_PUSH_TICKET: options.push.ticket } : {}),
    }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const failed = new Promise<Error>((resolve) => child.once("error", resolve));
  const stderr: Buffer[] = [];
  let stderrBytes = 0;
  child.stderr.on("data", (d: Buffer) => {
    if ((stderrBytes += d.length) <= 64 * 1024) stderr.push(d);
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));

  const isPush = options.service === "git-receive-pack";
  const output = readHead(child.stdout);
  const pumped = options.body ? pumpBody(options.body, options.gzip, options.maxBodyBytes, child.stdin) : (child.stdin.end(), Promise.resolve("ok" as const));
  const outcome = await Promise.race([pumped, failed]);
  if (outcome instanceof Error) throw outcome;
  if (outcome !== "ok") {
    child.kill("SIGKILL");
    await exited;
    return outcome === "too-large" ? { kind: "too-large", limitBytes: options.maxBodyBytes } : { kind: "bad-body", message: outcome.message };
  }

  const head = await output;
  if (!head) {
    child.kill("SIGKILL");
    await exited;
    throw new Error(`git http-backend answered without headers: ${Buffer.concat(stderr).toString().slice(0, 500)}`);
  }
  const body = answerBody(child.stdout, head.rest, isPush ? MAX_PUSH_ANSWER_BYTES : Number.POSITIVE_INFINITY, child);
  return { kind: "answer", status: head.status, headers: head.headers, body, exited };
}
