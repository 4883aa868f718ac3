import "server-only";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments } from "@/db/schema";
import { verifyPassword } from "@/lib/auth/password";
import { env as appEnv } from "@/lib/env";
import { routerTarget } from "./router-targets";
import { environmentDeployDir, ROUTER_FILE, STATIC_SITE_SUFFIX, WEB_ROOT_FILE, type RouterSettings } from "./deploy";
import { getRuntimeDriver } from "./driver/get-driver";
import { appLogTarget } from "./driver/app-log-target";
import { proxyRequest } from "./router-proxy";
import { FRONT_CLIENT_HEADER, FRONT_ERROR_HEADER, frontPaths, routerSettingsOf, startRouterFront } from "./router-front";
import { decideAccess } from "./http-access";
import { openSiteFile, type Site } from "./site-files";
import { liveGeneration, MOUNTS_FILE, type DeployedMount } from "./volumes";

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".xml": "application/xml",
};

export interface Target {
  projectId: string;
  environment: string;
  /** The path inside the site, starting with "/". */
  sitePath: string;
  /** "www." was asked for: answer with a redirect to the bare host, as routes.yaml says. */
  redirectWww?: string;
}

/**
 * Which environment a request is for: by host name `<environment>.<project>.localhost`
 * (and `www.` of it), or by path `/<project>/<environment>/…` on any other host. Pure.
 */
export function resolveTarget(host: string | undefined, url: string): Target | null {
  const hostname = (host ?? "").replace(/:\d+$/, "").toLowerCase();
  const pathname = url.split("?")[0] ?? "/";
  const m = /^(www\.)?([a-z0-9-]+)\.([a-z0-9-]+)\.localhost$/.exec(hostname);
  if (m && NAME.test(m[2]!) && NAME.test(m[3]!)) {
    return { projectId: m[3]!, environment: m[2]!, sitePath: pathname, redirectWww: m[1] ? hostname.slice(4) : undefined };
  }
  const p = /^\/([^/]+)\/([^/]+)(\/.*)?$/.exec(pathname);
  if (p && NAME.test(p[1]!) && NAME.test(p[2]!)) return { projectId: p[1]!, environment: p[2]!, sitePath: p[3] ?? "/" };
  return null;
}

/** A deployment's web root (relative to the application) and mounts, as its deploy wrote them (a deployment never changes). */
async function siteOf(deployDir: string): Promise<{ webRoot: string; mounts: DeployedMount[] } | null> {
  const configured = (await fs.promises.readFile(path.join(deployDir, WEB_ROOT_FILE), "utf8").catch(() => "")).trim();
  const webRoot = path.posix.normalize(`/${configured}`).slice(1);
  if (webRoot.split("/").includes("..")) return null;
  const mounts = await fs.promises
    .readFile(path.join(deployDir, MOUNTS_FILE), "utf8")
    .then((t) => JSON.parse(t) as DeployedMount[])
    .catch(() => []);
  return { webRoot, mounts };
}

function page(res: http.ServerResponse, status: number, title: string, body: string, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(status, { ...headers, "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta http-equiv="refresh" content="${status === 503 ? 5 : 3600}">
<style>body{font:16px system-ui,sans-serif;margin:20vh auto;max-width:36rem;color:#1b1f27}h1{font-size:1.4rem}</style></head><body><h1>${title}</h1><p>${body}</p></body></html>`);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export interface RouterOptions {
  /** The client's address (the server stamps it; with TRUST_PROXY it is the proxy's last X-Forwarded-For entry). */
  clientAddress?: (req: http.IncomingMessage) => string;
  /** The console's address (PUBLIC_URL), for the paused page's link; without it, the request's own host name at `consolePort`. */
  consoleUrl?: string;
  /** The console's port, when there is no `consoleUrl` (by default the dashboard's PORT). */
  consolePort?: number;
  /**
   * Requests come from the router's nginx front only (router-front.ts): the client's address is in
   * its header, a request it could not complete on the fast path says so, and each environment
   * whose request is passed here is told to `onPassed` (it may get a fast link).
   */
  behindFront?: { onPassed?: (projectId: string, environmentName: string) => void };
}

/**
 * Where the console is, as a visitor of this site reaches it: `consoleUrl` (PUBLIC_URL), or else
 * the host name the request came to (`localhost` for `<environment>.<project>.localhost`) at the
 * console's port. A host name that is not one (a hostile Host header) becomes `localhost`.
 */
export function consoleBase(req: Pick<http.IncomingMessage, "headers">, options: Pick<RouterOptions, "consoleUrl" | "consolePort">): string {
  if (options.consoleUrl) return options.consoleUrl.replace(/\/+$/, "");
  const host = (req.headers.host ?? "").toLowerCase();
  const hostname = /^\[[0-9a-f:.]+\]/.exec(host)?.[0] ?? host.replace(/:\d+$/, "");
  const reachable = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)$/.test(hostname) ? (hostname.endsWith(".localhost") ? "localhost" : hostname) : "localhost";
  return `http://${reachable}:${options.consolePort ?? appEnv().PORT}`;
}

/**
 * Serves each active environment's site from its deployed build's web root, on its own
 * port (never the dashboard's origin). `current` is resolved once per request, so a
 * request sees the old build or the new one, never a mix. What the deploy kept of the
 * environment's settings applies: HTTP access control, search-engine visibility; a paused
 * environment answers 503.
 */
export function createEnvironmentRouter(getDb: () => Promise<Db>, options: RouterOptions = {}): http.Server {
  const sites = new Map<string, { webRoot: string; mounts: DeployedMount[] } | null>(); // deploy directory → its web root and mounts (a deploy never changes)
  const settings = new Map<string, Promise<RouterSettings>>(); // deploy directory → its settings (likewise)
  const statics = new Map<string, Promise<boolean>>(); // deploy directory → served as static files (this host cannot run its application)
  // Checked logins (bcrypt is slow on purpose): deploy directory + Authorization header → valid.
  const logins = new Map<string, Promise<boolean>>();
  const checkLogin = (deployDir: string) => (password: string, hash: string) => {
    const key = `${deployDir}\0${hash}\0${password}`;
    if (!logins.has(key)) {
      if (logins.size > 1000) logins.clear();
      logins.set(key, verifyPassword(password, hash));
    }
    return logins.get(key)!;
  };
  const front = options.behindFront;
  // Behind the front: the address it saw, taken from its header (which is not passed on) at each request's start.
  const frontClients = new WeakMap<http.IncomingMessage, string>();
  const clientAddress = front
    ? (req: http.IncomingMessage) => frontClients.get(req) ?? ""
    : (options.clientAddress ?? ((req: http.IncomingMessage) => (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "")));
  // (Slow clients are looked for every 2 s rather than Node's default 30 s.)
  const server = http.createServer({ connectionsCheckingInterval: 2_000 }, (req, res) => {
    void (async () => {
      // From the front: what it could not complete (and its own headers, never passed on).
      let frontError: 502 | 504 | null = null;
      if (front) {
        const said = req.headers[FRONT_ERROR_HEADER];
        frontError = said === "504" ? 504 : said === "502" ? 502 : null;
        frontClients.set(req, String(req.headers[FRONT_CLIENT_HEADER] ?? "").replace(/^::ffff:/, ""));
        delete req.headers[FRONT_ERROR_HEADER];
        delete req.headers[FRONT_CLIENT_HEADER];
      }
      const target = resolveTarget(req.headers.host, req.url ?? "/");
      if (!target) return page(res, 404, "No environment here", "Open <code>http://&lt;environment&gt;.&lt;project&gt;.localhost:PORT/</code> or <code>/&lt;project&gt;/&lt;environment&gt;/</code>.");
      if (target.redirectWww) {
        res.writeHead(301, { location: `http://${target.redirectWww}${req.headers.host?.match(/:\d+$/)?.[0] ?? ""}${target.sitePath}` });
        return res.end();
      }
      const current = path.join(environmentDeployDir(target.projectId, target.environment), "current");
      const resolved = routerTarget(target.projectId, target.environment);
      if (!resolved.deployDir) {
        const db = await getDb();
        const [env] = await db
          .select({ status: environments.status })
          .from(environments)
          .where(and(eq(environments.projectId, target.projectId), eq(environments.name, target.environment)));
        if (env && env.status !== "inactive") return page(res, 503, "Waiting for deployment", `${target.environment} has not been deployed yet. This page reloads by itself.`);
        return page(res, 404, "No such environment", `There is no active environment ${target.environment} in project ${target.projectId}.`);
      }
      const deployDir = resolved.deployDir;
      if (resolved.paused) {
        const consolePage = `${consoleBase(req, options)}/projects/${target.projectId}/environments/${target.environment}`;
        const where = ` <a href="${escapeHtml(consolePage)}">Resume it from the console</a> (members with the admin role), or push or redeploy.`;
        return page(res, 503, "This environment is paused", `${escapeHtml(target.environment)} is paused: its data is kept, but its site is not served.${where}`, { "x-robots-tag": "noindex, nofollow", "retry-after": "3600" });
      }
      if (!settings.has(deployDir)) settings.set(deployDir, routerSettingsOf(deployDir));
      const config = await settings.get(deployDir)!;
      const robots: http.OutgoingHttpHeaders = config.restrictRobots ? { "x-robots-tag": "noindex, nofollow" } : {};
      const decision = await decideAccess(config.httpAccess, { authorization: req.headers.authorization, client: clientAddress(req) }, checkLogin(deployDir));
      if (!decision.allow) {
        const extra = decision.status === 401 ? { "www-authenticate": `Basic realm="${target.environment}", charset="UTF-8"` } : {};
        return page(res, decision.status, decision.status === 401 ? "Login required" : "Access denied", `${escapeHtml(decision.reason)}${decision.status === 401 ? " Log in with a username and password an administrator of this environment gave you." : " Ask an administrator of this environment to allow your address."}`, { ...robots, ...extra });
      }
      if (config.restrictRobots && target.sitePath === "/robots.txt") {
        res.writeHead(200, { ...robots, "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" });
        return res.end(req.method === "HEAD" ? undefined : "User-agent: *\nDisallow: /\n");
      }
      if (!statics.has(deployDir)) statics.set(deployDir, fs.promises.access(`${deployDir}${STATIC_SITE_SUFFIX}`).then(() => true, () => false));
      if (!(await statics.get(deployDir)!)) {
        // The environment's application: its web server in its sandbox answers.
        const query = (req.url ?? "").includes("?") ? (req.url ?? "").slice((req.url ?? "").indexOf("?")) : "";
        front?.onPassed?.(target.projectId, target.environment);
        // A request the front could not complete: one that may have reached the application is not sent again.
        const retry = frontError === 502 && (req.method === "GET" || req.method === "HEAD") && req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined;
        return proxyRequest(req, res, {
          failed: frontError === null || retry ? undefined : frontError,
          socketPath: getRuntimeDriver().webSocket(target.projectId, target.environment, path.basename(deployDir)),
          path: `${target.sitePath}${query}`,
          client: clientAddress(req),
          host: req.headers.host ?? "",
          proto: "http",
          access: appLogTarget(target.projectId, target.environment, "access"),
          errors: appLogTarget(target.projectId, target.environment, "error"),
          page: (status, title, body) => page(res, status, title, body, robots),
          robots,
          retarget: () => {
            try {
              return getRuntimeDriver().webSocket(target.projectId, target.environment, path.basename(fs.realpathSync(current)));
            } catch {
              return null;
            }
          },
        });
      }
      // A static site (this host cannot run its application): GET and HEAD of its files.
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" });
        return res.end();
      }
      let site = sites.get(deployDir);
      if (site === undefined) {
        site = await siteOf(deployDir);
        sites.set(deployDir, site);
      }
      if (!site) return page(res, 404, "Not found", "The deployed web root lies outside the deployment.", robots);
      // Files of the build inside the web root, or of the environment's own mounts under it
      // (as pub/media), found without following any link its processes wrote (site-files.ts).
      const served: Site = { deployDir, webRoot: site.webRoot, mounts: site.mounts, live: liveGeneration(target.projectId, target.environment), hidden: [ROUTER_FILE] };
      let found = openSiteFile(served, target.sitePath);
      // passthru: like the platform's "/index.html" passthru, unknown paths get the front page.
      if (found === "missing") found = openSiteFile(served, "/index.html");
      if (found === "refused") return page(res, 404, "Not found", "This path is not a file of the deployed site.", robots);
      if (found === "missing") return page(res, 404, "Not found", "The deployed build has no such file.", robots);
      const { fd, stat, name } = found;
      res.writeHead(200, {
        ...robots,
        "content-type": TYPES[path.extname(name).toLowerCase()] ?? "application/octet-stream",
        "content-length": stat.size,
        "cache-control": "no-cache",
        "x-environment": `${target.projectId}/${target.environment}`,
        "x-content-type-options": "nosniff",
      });
      if (req.method === "HEAD" || stat.size === 0) {
        fs.close(fd, () => undefined);
        return res.end();
      }
      fs.createReadStream("", { fd, start: 0, end: Math.max(0, stat.size - 1) }).pipe(res);
    })().catch((err) => {
      console.error("[router]", err);
      if (!res.headersSent) page(res, 500, "Router error", "The environment router failed to answer; see the server log.");
      else res.destroy();
    });
  });
  // A client gets 10 s to send its request's headers (a slow one holds no more than that), and
  // keeps an idle connection 5 s.
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 5 * 60_000;
  return server;
}

const key = Symbol.for("pwi.environment-router");
type G = typeof globalThis & { [key]?: { stop(): Promise<void> } };

export interface RouterStartOptions extends RouterOptions {
  /** ROUTER_FRONT: "nginx" puts the host's nginx in front where it has one (router-front.ts); "off" serves with this process alone. */
  front?: "nginx" | "off";
  trustProxy?: boolean;
}

/**
 * Starts the router once per process: with its nginx front on `port` where the host has nginx
 * (this process's router then listens on a Unix socket behind it), else alone on `port`. A port
 * in use is reported, not fatal.
 */
export async function startEnvironmentRouter(port: number, getDb: () => Promise<Db>, log: (line: string) => void, options: RouterStartOptions = {}): Promise<void> {
  const g = globalThis as G;
  if (g[key] || port === 0) return;
  g[key] = { stop: async () => undefined };
  const listening = (line: string) => log(`[startup] Environment router on http://<environment>.<project>.localhost:${port}/ and http://localhost:${port}/<project>/<environment>/${line}`);
  if (options.front !== "off") {
    const behindFront: NonNullable<RouterOptions["behindFront"]> = {};
    const server = createEnvironmentRouter(getDb, { ...options, behindFront });
    const { nodeSocket } = frontPaths();
    fs.mkdirSync(path.dirname(nodeSocket), { recursive: true, mode: 0o700 });
    fs.rmSync(nodeSocket, { force: true });
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(nodeSocket, () => resolve(true));
    });
    const started = bound ? await startRouterFront({ port, trustProxy: options.trustProxy ?? false, maxBodyMb: appEnv().ROUTER_MAX_BODY_MB, upstreamTimeoutS: appEnv().ROUTER_UPSTREAM_TIMEOUT }, log) : ({ ok: false, reason: `its socket ${nodeSocket} could not be bound` } as const);
    if (started.ok) {
      behindFront.onPassed = started.front.passedBySlowPath;
      g[key] = { stop: async () => (await started.front.stop(), await new Promise<void>((r) => server.close(() => r()))) };
      listening(" (nginx in front)");
      return;
    }
    await new Promise<void>((r) => server.close(() => r()));
    log(`[startup] The environment router runs without nginx in front: ${started.reason}.`);
  }
  const server = createEnvironmentRouter(getDb, options);
  g[key] = { stop: async () => void (await new Promise<void>((r) => server.close(() => r()))) };
  await new Promise<void>((resolve) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      log(`[startup] The environment router could not listen on port ${port} (${err.code ?? err.message}); environments' sites are not served by this process.`);
      resolve();
    });
    server.listen(port, () => (listening(""), resolve()));
  });
}

/** Stops the router this process started (its nginx front with it). */
export async function stopEnvironmentRouter(): Promise<void> {
  const g = globalThis as G;
  const running = g[key];
  delete g[key];
  await running?.stop();
}
