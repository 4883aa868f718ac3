import "server-only";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments } from "@/db/schema";
import { environmentDeployDir, WEB_ROOT_FILE } from "./deploy";
import { currentDataPath } from "./volumes";

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

/** The file for a site path inside `root`, or null when the path would leave it. Pure. */
export function fileInRoot(root: string, sitePath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(sitePath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const normal = path.posix.normalize(`/${decoded}`);
  const file = path.join(root, normal);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/**
 * A deployment's web root: its real path, which must lie inside the deployment (a web root
 * committed as a symlink out of it serves nothing), and its path relative to the application.
 */
async function siteOf(deployDir: string): Promise<{ root: string; rel: string } | null> {
  const configured = (await fs.promises.readFile(path.join(deployDir, WEB_ROOT_FILE), "utf8").catch(() => "")).trim();
  const candidate = configured ? fileInRoot(deployDir, configured) : deployDir;
  if (!candidate) return null;
  const root = await fs.promises.realpath(candidate).catch(() => null);
  if (!root || !isInside(deployDir, root)) return null;
  return { root, rel: path.relative(deployDir, root) };
}

/**
 * The regular file a path names, when its real path (every symlink followed) lies inside
 * one of `allowed`; a directory gives its index.html. "missing" when nothing is there (the
 * passthru answers), "refused" when something is but may not be served (a symlink out of
 * the deployment, a device, a directory without index.html).
 */
async function servedFile(file: string, allowed: readonly string[]): Promise<{ file: string; stat: fs.Stats } | "missing" | "refused"> {
  if (!(await fs.promises.lstat(file).catch(() => null))) return "missing";
  let real = await fs.promises.realpath(file).catch(() => null);
  if (!real) return "refused"; // a dangling symlink
  let stat = await fs.promises.stat(real).catch(() => null);
  if (stat?.isDirectory()) {
    real = await fs.promises.realpath(path.join(real, "index.html")).catch(() => null);
    if (!real) return "refused";
    stat = await fs.promises.stat(real).catch(() => null);
  }
  if (!stat?.isFile() || !allowed.some((root) => isInside(root, real))) return "refused";
  return { file: real, stat };
}

function page(res: http.ServerResponse, status: number, title: string, body: string) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta http-equiv="refresh" content="${status === 503 ? 5 : 3600}">
<style>body{font:16px system-ui,sans-serif;margin:20vh auto;max-width:36rem;color:#1b1f27}h1{font-size:1.4rem}</style></head><body><h1>${title}</h1><p>${body}</p></body></html>`);
}

/**
 * Serves each active environment's site from its deployed build's web root, on its own
 * port (never the dashboard's origin). `current` is resolved once per request, so a
 * request sees the old build or the new one, never a mix.
 */
export function createEnvironmentRouter(getDb: () => Promise<Db>): http.Server {
  const sites = new Map<string, { root: string; rel: string } | null>(); // deploy directory → its web root (a deploy never changes)
  return http.createServer((req, res) => {
    void (async () => {
      const target = resolveTarget(req.headers.host, req.url ?? "/");
      if (!target) return page(res, 404, "No environment here", "Open <code>http://&lt;environment&gt;.&lt;project&gt;.localhost:PORT/</code> or <code>/&lt;project&gt;/&lt;environment&gt;/</code>.");
      if (target.redirectWww) {
        res.writeHead(301, { location: `http://${target.redirectWww}${req.headers.host?.match(/:\d+$/)?.[0] ?? ""}${target.sitePath}` });
        return res.end();
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" });
        return res.end();
      }
      const current = path.join(environmentDeployDir(target.projectId, target.environment), "current");
      let deployDir: string;
      try {
        deployDir = fs.realpathSync(current);
      } catch {
        const db = await getDb();
        const [env] = await db
          .select({ status: environments.status })
          .from(environments)
          .where(and(eq(environments.projectId, target.projectId), eq(environments.name, target.environment)));
        if (env && env.status !== "inactive") return page(res, 503, "Waiting for deployment", `${target.environment} has not been deployed yet. This page reloads by itself.`);
        return page(res, 404, "No such environment", `There is no active environment ${target.environment} in project ${target.projectId}.`);
      }
      let site = sites.get(deployDir);
      if (site === undefined) {
        site = await siteOf(deployDir);
        sites.set(deployDir, site);
      }
      if (!site) return page(res, 404, "Not found", "The deployed web root lies outside the deployment.");
      // Files inside the web root, or inside the environment's own mounts under it (as pub/media).
      const dataRoot = await fs.promises.realpath(currentDataPath(target.projectId, target.environment)).catch(() => null);
      const allowed = [site.root, ...(dataRoot ? [path.join(dataRoot, "mounts", site.rel)] : [])];
      const requested = fileInRoot(site.root, target.sitePath);
      if (!requested) return page(res, 404, "Not found", "This path is outside the site.");
      let found = await servedFile(requested, allowed);
      // passthru: like the platform's "/index.html" passthru, unknown paths get the front page.
      if (found === "missing") found = await servedFile(path.join(site.root, "index.html"), allowed);
      if (found === "refused") return page(res, 404, "Not found", "This path is not a file of the deployed site.");
      if (found === "missing") return page(res, 404, "Not found", "The deployed build has no such file.");
      const { file, stat } = found;
      res.writeHead(200, {
        "content-type": TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
        "content-length": stat.size,
        "cache-control": "no-cache",
        "x-environment": `${target.projectId}/${target.environment}`,
        "x-content-type-options": "nosniff",
      });
      if (req.method === "HEAD") return res.end();
      fs.createReadStream(file).pipe(res);
    })().catch((err) => {
      console.error("[router]", err);
      if (!res.headersSent) page(res, 500, "Router error", "The environment router failed to answer; see the server log.");
      else res.destroy();
    });
  });
}

const key = Symbol.for("pwi.environment-router");
type G = typeof globalThis & { [key]?: http.Server };

/** Starts the router once per process; a port in use is reported, not fatal. */
export function startEnvironmentRouter(port: number, getDb: () => Promise<Db>, log: (line: string) => void): void {
  const g = globalThis as G;
  if (g[key] || port === 0) return;
  const server = createEnvironmentRouter(getDb);
  g[key] = server;
  server.on("error", (err: NodeJS.ErrnoException) => {
    log(`[startup] The environment router could not listen on port ${port} (${err.code ?? err.message}); environments' sites are not served by this process.`);
  });
  server.listen(port, () => log(`[startup] Environment router on http://<environment>.<project>.localhost:${port}/ and http://localhost:${port}/<project>/<environment>/`));
}
