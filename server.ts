// The dashboard's server: `npm start` runs it (scripts/start.mjs builds the app with `next build`
// when its sources changed, and this file with esbuild, then runs it in the same process).
//
// Every request to PORT goes through these steps, in this order, and nothing else:
//   1. Who is asking: the client's address and whether it came over https are stamped on the
//      request (lib/instance/client-headers.ts), replacing whatever a client sent under those
//      names. Everything after reads them: the sign-in lockout, Secure cookies, the page cache.
//   2. Static files: the build's scripts and stylesheets, Brotli-compressed for browsers that
//      take it (lib/instance/static-files.ts; not with `npm run dev`).
//   3. The page cache: the project list and project pages, kept per session until what they
//      show changes (lib/session/page-cache.ts; PAGE_CACHE=0 turns it off).
//   4. Next.js: proxy.ts (Content-Security-Policy, malformed addresses, server actions' origin
//      and size), then the app's pages and route handlers (app/).
//
// Before it listens, the instance starts (lib/instance/startup.ts): DATA_DIR, the database and its
// migrations, the worker, the environment router (ENV_PORT), the admin socket. A start that
// cannot serve says why and exits.
import http from "node:http";
import path from "node:path";
import next from "next";
import { getDatabase } from "@/db/client";
import { env } from "@/lib/env";
import { stampClientHeaders } from "@/lib/instance/client-headers";
import { noteRequest } from "@/lib/instance/idle-memory";
import { startInstance } from "@/lib/instance/startup";
import { StaticFiles } from "@/lib/instance/static-files";
import { PageCache } from "@/lib/session/page-cache";

const cannotStart = (reason: string): never => {
  console.error(`[startup] The dashboard cannot start: ${reason}`);
  process.exit(1);
};

export async function serve(options: { root: string; dev: boolean }): Promise<http.Server> {
  const config = env();
  // Compressed on libuv's threads while the instance and Next.js start (1.7 s of CPU): no visitor
  // waits for it. Not in development, where Next.js rewrites its static files as sources change.
  const staticFiles = options.dev ? null : new StaticFiles(path.join(options.root, ".next", "static"));
  const compressing = staticFiles?.prepare();
  await startInstance().catch((err: unknown) => cannotStart(err instanceof Error ? err.message : String(err)));
  const app = next({ dev: options.dev, dir: options.root, hostname: "localhost", port: config.PORT });
  const nextjs = app.getRequestHandler();
  await app.prepare().catch((err: unknown) => cannotStart(err instanceof Error ? err.message : String(err)));

  const pageCache = new PageCache();
  if (config.PAGE_CACHE) {
    const { db } = await getDatabase();
    await pageCache.start({ db, publicUrl: config.PUBLIC_URL }).catch((err: unknown) => console.log(`[startup] Pages are rendered for every request: the page cache could not LISTEN (${String(err)}).`));
  }

  const server = http.createServer((req, res) => {
    noteRequest();
    stampClientHeaders(req, config.TRUST_PROXY);
    if (staticFiles?.takes(req)) return void staticFiles.serve(req, res, () => void nextjs(req, res));
    if (pageCache.takes(req)) return void pageCache.handle(req, res, () => void nextjs(req, res));
    void nextjs(req, res);
  });
  await compressing;
  await new Promise<void>((resolve) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      cannotStart(err.code === "EADDRINUSE" ? `port ${config.PORT} is in use by another program. Stop it, or set PORT to a free port.` : err.code === "EACCES" ? `this account may not listen on port ${config.PORT}. Set PORT to a port above 1023.` : err.message),
    );
    server.listen(config.PORT, () => resolve());
  });
  console.log(`[startup] Ready on http://localhost:${config.PORT}`);
  return server;
}
