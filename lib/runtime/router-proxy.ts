import "server-only";
import http from "node:http";
import { env as appEnv } from "@/lib/env";
import type { LineTarget } from "./supervisor/supervised-process";
import { NoFollowUnixAgent } from "./unix-socket";

const MIB = 1024 * 1024;
/** Connections to environments' web servers are kept open between requests (pooled per socket), and made without following a link. */
const agent = new NoFollowUnixAgent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32, keepAliveMsecs: 1000 });
/** A retry goes on a new connection (the pool may hold more connections the web server just closed). */
const fresh = new NoFollowUnixAgent({ keepAlive: false });

/** Headers that belong to one connection, not to the request: never passed on. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"]);

export interface ProxyTarget {
  /** The release's web server socket. */
  socketPath: string;
  /** The path and query inside the site. */
  path: string;
  client: string;
  /** The host the visitor asked for (X-Forwarded-Host). */
  host: string;
  proto: "http" | "https";
  access: LineTarget;
  errors: LineTarget;
  /** Answers with one of the router's own pages. */
  page: (status: number, title: string, body: string) => void;
  robots: http.OutgoingHttpHeaders;
  /** The socket of the release the environment serves now: a deploy may have switched since this request began. */
  retarget?: () => string | null;
  /** The router's nginx front already failed this request (502: no connection, 504: no answer in time): answer so, send nothing. */
  failed?: 502 | 504;
}

/**
 * Passes a request to an environment's web server (nginx in its sandbox) over its Unix socket,
 * with X-Forwarded-For/-Host/-Proto; answers 502 when nothing listens (or the answer is not
 * HTTP), 504 after ROUTER_UPSTREAM_TIMEOUT, 413 for a body over ROUTER_MAX_BODY_MB, and cuts
 * an answer over ROUTER_MAX_RESPONSE_MB. An idempotent request that met a kept-open connection
 * the web server had just closed (a release stopping after a deploy) is sent again once on a
 * fresh one. Every request is a line of access.log; every failure a line of error.log.
 */
export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, target: ProxyTarget): void {
  const config = appEnv();
  const started = process.hrtime.bigint();
  const maxBody = config.ROUTER_MAX_BODY_MB * MIB;
  const maxResponse = config.ROUTER_MAX_RESPONSE_MB * MIB;
  let sent = 0;
  let settled = false;
  const logAccess = (status: number) => {
    if (settled) return;
    settled = true;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    target.access.line(`${new Date().toISOString()} ${req.method} ${JSON.stringify(target.path).slice(1, -1)} ${status} ${ms.toFixed(1)}ms ${sent} ${target.client}`);
  };
  const fail = (status: 502 | 504 | 413, why: string) => {
    if (settled) return;
    target.errors.line(`${req.method} ${target.path}: ${why}`);
    if (!res.headersSent) {
      const pages = {
        502: ["The application is not answering", "Its web server or application did not answer this request. The environment's error.log and app.log (Logs tab in the console) say why; it is started again by itself if it stopped."],
        504: ["The application took too long", `It did not answer within ${config.ROUTER_UPSTREAM_TIMEOUT} s (ROUTER_UPSTREAM_TIMEOUT).`],
        413: ["Request too large", `Requests to environments may carry at most ${config.ROUTER_MAX_BODY_MB} MiB (ROUTER_MAX_BODY_MB).`],
      } as const;
      target.page(status, pages[status][0], pages[status][1]);
    } else res.destroy();
    logAccess(status);
  };
  if (target.failed) {
    req.resume();
    return fail(target.failed, target.failed === 504 ? `no answer within ${config.ROUTER_UPSTREAM_TIMEOUT} s` : "the connection to the environment's web server failed (the request is not sent again: it may have reached the application)");
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBody) {
    req.resume();
    return fail(413, `request body of ${declared} bytes refused (over ROUTER_MAX_BODY_MB)`);
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  const forwarded = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] = target.client;
  if (forwarded) headers["x-original-forwarded-for"] = forwarded; // what the visitor claimed: kept, never believed
  headers["x-forwarded-host"] = target.host;
  headers["x-forwarded-proto"] = target.proto;
  headers["x-client-ip"] = target.client;
  const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  const idempotent = req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS";

  let socketPath = target.socketPath;
  const attempt = (retry: boolean) => {
    const upstream = http.request({ socketPath, path: target.path, method: req.method, headers, agent: retry ? fresh : agent, timeout: config.ROUTER_UPSTREAM_TIMEOUT * 1000 });
    let answered = false;
    upstream.on("response", (answer) => {
      answered = true;
      const out: http.OutgoingHttpHeaders = { ...target.robots, "x-content-type-options": "nosniff" };
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
      try {
        res.writeHead(answer.statusCode ?? 502, out);
      } catch (err) {
        answer.destroy();
        return fail(502, `the application answered with headers that are not valid HTTP (${(err as Error).message})`);
      }
      let cut = false;
      answer.on("data", (chunk: Buffer) => {
        if (cut) return;
        sent += chunk.length;
        if (sent > maxResponse) {
          cut = true;
          target.errors.line(`${req.method} ${target.path}: the answer was cut at ${config.ROUTER_MAX_RESPONSE_MB} MiB (ROUTER_MAX_RESPONSE_MB)`);
          answer.destroy();
          res.socket?.destroy();
          res.destroy();
          logAccess(answer.statusCode ?? 502);
          return;
        }
        if (!res.write(chunk)) {
          answer.pause();
          res.once("drain", () => answer.resume());
        }
      });
      answer.on("end", () => {
        res.end();
        logAccess(answer.statusCode ?? 502);
      });
      answer.on("error", () => res.destroy());
    });
    upstream.on("timeout", () => {
      upstream.destroy(new Error("timeout"));
    });
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      if (answered) return res.destroy();
      // A kept-open connection the web server had just closed (a release stopping): again, on a new
      // connection to the release serving now.
      if (!retry && idempotent && !hasBody && upstream.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) {
        socketPath = target.retarget?.() ?? socketPath;
        return attempt(true);
      }
      // The release this request was meant for stopped (a deploy switched meanwhile): the new one answers.
      if (!hasBody && (err.code === "ENOENT" || err.code === "ECONNREFUSED")) {
        const now = target.retarget?.();
        if (now && now !== socketPath) {
          socketPath = now;
          return attempt(retry);
        }
      }
      if (err.message === "timeout") return fail(504, `no answer within ${config.ROUTER_UPSTREAM_TIMEOUT} s`);
      const why = err.code === "ENOENT" || err.code === "ECONNREFUSED" ? "nothing listens on the environment's web server socket (not running, or starting again)" : err.code === "ENOTSOCK" ? "the environment's web server socket was replaced by something that is not a socket; refused" : `${err.code ?? err.message}`;
      fail(502, why);
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (!hasBody) return upstream.end();
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBody) {
        req.unpipe(upstream);
        upstream.destroy();
        req.resume();
        return fail(413, `request body over ${config.ROUTER_MAX_BODY_MB} MiB refused while it was sent`);
      }
    });
    req.pipe(upstream);
  };
  attempt(false);
}
