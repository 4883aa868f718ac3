// Tests only: the project's git remote (the /git/… route handler) behind a real HTTP server, as git clients meet it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { GET, POST } from "@/app/git/[...path]/route";

export interface GitServer {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  close: () => void;
}

/** Serves the git route on a free port of 127.0.0.1. */
export async function startGitServer(): Promise<GitServer> {
  let base = "";
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", base);
      const request = new Request(url, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        ...(req.method === "POST" ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}),
      } as RequestInit);
      const handler = req.method === "POST" ? POST : GET;
      const response = await handler(request, { params: Promise.resolve({ path: url.pathname.replace(/^\/git\//, "").split("/") }) });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) Readable.fromWeb(response.body as WebReadableStream).pipe(res);
      else res.end();
    })().catch((err) => {
      console.error(err);
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => server.close() };
}

/** The project's remote URL with `email` and an API `token` in it, as `git clone` takes it. */
export function gitRemoteUrl(base: string, projectId: string, who: { email: string; token: string }): string {
  const url = new URL(`/git/${projectId}.git`, base);
  url.username = encodeURIComponent(who.email);
  url.password = who.token;
  return url.toString();
}
