import "server-only";
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { STATIC_HEADERS } from "@/lib/static-headers.mjs";
import { acceptsEncoding, interceptDashboardRequests } from "@/lib/session/dashboard-requests";

const URL_PREFIX = "/_next/static/";
const TYPES: Record<string, string> = { ".js": "application/javascript; charset=UTF-8", ".css": "text/css; charset=UTF-8" };

interface Copy {
  file: string;
  type: string;
  body?: Buffer;
}

/**
 * The Brotli copies the build wrote beside the static scripts and stylesheets
 * (scripts/precompress-static.mjs), by the address each is served at. Only a copy at least as
 * new as its file counts (a build made by hand leaves none current).
 */
export function findPrecompressed(staticDir: string): Map<string, Copy> {
  const copies = new Map<string, Copy>();
  const walk = (folder: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file, `${prefix}${entry.name}/`);
      const type = TYPES[path.extname(entry.name)];
      if (!entry.isFile() || !type) continue;
      try {
        if (fs.statSync(`${file}.br`).mtimeMs >= fs.statSync(file).mtimeMs) copies.set(`${URL_PREFIX}${prefix}${entry.name}`, { file: `${file}.br`, type });
      } catch {
        /* no copy: Next.js serves it */
      }
    }
  };
  walk(staticDir, "");
  return copies;
}

/**
 * Answers a GET or HEAD of a static script or stylesheet with its Brotli copy when the client
 * takes Brotli, as Next.js would answer it otherwise (its headers, immutable caching). Only the
 * addresses found at start are served: the request's path is looked up, never joined to a
 * folder. Returns false (Next.js answers) for anything else.
 */
export function servePrecompressed(copies: Map<string, Copy>, req: http.IncomingMessage, res: http.ServerResponse, pass: () => void): boolean {
  if ((req.method !== "GET" && req.method !== "HEAD") || !req.url?.startsWith(URL_PREFIX)) return false;
  const address = req.url.split("?")[0]!;
  const copy = copies.get(address);
  if (!copy || !acceptsEncoding(req.headers["accept-encoding"], "br")) return false;
  const answer = (body: Buffer) => {
    copy.body = body;
    res.statusCode = 200;
    for (const { key, value } of STATIC_HEADERS) res.setHeader(key, value);
    res.setHeader("Content-Type", copy.type);
    res.setHeader("Content-Encoding", "br");
    res.setHeader("Vary", "Accept-Encoding");
    res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    res.setHeader("Content-Length", body.length);
    res.end(req.method === "HEAD" ? undefined : body);
  };
  if (copy.body) answer(copy.body);
  else
    fs.promises.readFile(copy.file).then(answer, () => {
      copies.delete(address);
      pass();
    });
  return true;
}

let installed = false;

/** Serves the build's Brotli copies on the dashboard's server (port), ahead of Next.js. */
export function installPrecompressedStatic(port: number, staticDir = path.join(process.cwd(), ".next", "static")): number {
  if (installed) return 0;
  installed = true;
  const copies = findPrecompressed(staticDir);
  if (copies.size > 0) interceptDashboardRequests(port, (req, res, pass) => servePrecompressed(copies, req, res, pass));
  return copies.size;
}
