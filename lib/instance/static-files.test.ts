import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticFiles } from "./static-files";

const SCRIPT = "self.chunk = 'the script';\n".repeat(100);

describe("the build's scripts and stylesheets, Brotli-compressed", () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  let passed = 0;
  let outside: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-static-"));
    fs.mkdirSync(path.join(dir, "chunks"));
    fs.writeFileSync(path.join(dir, "chunks", "a1.js"), SCRIPT);
    fs.writeFileSync(path.join(dir, "site.css"), "body{margin:0}");
    fs.writeFileSync(path.join(dir, "gone.js"), "removed after the start");
    fs.writeFileSync(path.join(dir, "image.png"), "not a script");
    // Beside the folder: never served.
    outside = `${path.basename(dir)}-secret.js`;
    fs.writeFileSync(path.join(dir, "..", outside), "outside the folder");
    fs.writeFileSync(path.join(dir, "..", `${outside}.br`), zlib.brotliCompressSync("outside the folder"));
    const files = new StaticFiles(dir);
    fs.rmSync(path.join(dir, "gone.js"));
    server = http.createServer((req, res) => {
      const nextjs = () => {
        passed++;
        res.end("next.js");
      };
      if (files.takes(req)) void files.serve(req, res, nextjs);
      else nextjs();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
    for (const name of [outside, `${outside}.br`]) fs.rmSync(path.join(dir, "..", name), { force: true });
  });

  const get = (url: string, headers: http.OutgoingHttpHeaders = { "accept-encoding": "gzip, deflate, br, zstd" }, method = "GET") =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = http.request(base + url, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject).end();
    });

  it("answers a browser that takes Brotli with a compressed copy, under the static files' headers, cached for good", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await get("/_next/static/chunks/a1.js?dpl=1");
      expect(res.status).toBe(200);
      expect(res.headers).toMatchObject({
        "content-encoding": "br",
        "content-type": "application/javascript; charset=UTF-8",
        "cache-control": "public, max-age=31536000, immutable",
        vary: "Accept-Encoding",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
      });
      expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(zlib.brotliDecompressSync(res.body).toString()).toBe(SCRIPT);
    }
    const css = await get("/_next/static/site.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=UTF-8");
    const head = await get("/_next/static/chunks/a1.js", undefined, "HEAD");
    expect(head.headers["content-encoding"]).toBe("br");
    expect(head.body.length).toBe(0);
  });

  it("leaves to Next.js a client without Brotli, another method, a file it cannot read, another type and any other address", async () => {
    const before = passed;
    const asked = [
      await get("/_next/static/chunks/a1.js", { "accept-encoding": "gzip" }),
      await get("/_next/static/chunks/a1.js", { "accept-encoding": "gzip, br;q=0" }),
      await get("/_next/static/chunks/a1.js", {}),
      await get("/_next/static/chunks/a1.js", undefined, "POST"),
      await get("/_next/static/gone.js"),
      await get("/_next/static/image.png"),
      await get("/_next/static/chunks/missing.js"),
      await get("/projects/x"),
    ];
    expect(asked.map((r) => r.body.toString())).toEqual(Array(asked.length).fill("next.js"));
    expect(passed - before).toBe(asked.length);
  });

  it("hostile: a path that climbs out of the folder, encoded or not, names no copy", async () => {
    for (const url of [`/_next/static/../${outside}`, `/_next/static/%2e%2e/${outside}`, `/_next/static/chunks/..%2f..%2f${outside}`, "/_next/static//chunks/a1.js", "/_next/static/chunks/a1.js.br", "/_next/static/chunks/a1.js/", "/_next/static/chunks/A1.js"]) {
      const res = await get(url);
      expect(res.body.toString(), url).toBe("next.js");
      expect(res.headers["content-encoding"], url).toBeUndefined();
    }
  });

  it("compresses every file ahead of the first visitor when prepared, and serves the copy it keeps", async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-static-prepared-"));
    try {
      fs.writeFileSync(path.join(folder, "b.js"), SCRIPT);
      const files = new StaticFiles(folder);
      await files.prepare();
      fs.rmSync(path.join(folder, "b.js")); // kept in memory since
      const res = { headers: {} as Record<string, unknown>, body: undefined as Buffer | undefined, statusCode: 0, setHeader(k: string, v: unknown) { this.headers[k.toLowerCase()] = v; }, end(b?: Buffer) { this.body = b; } };
      const req = { method: "GET", url: "/_next/static/b.js", headers: { "accept-encoding": "br" } } as unknown as http.IncomingMessage;
      expect(files.takes(req)).toBe(true);
      await files.serve(req, res as unknown as http.ServerResponse, () => { throw new Error("passed to Next.js"); });
      expect(res.headers["content-encoding"]).toBe("br");
      expect(zlib.brotliDecompressSync(res.body!).toString()).toBe(SCRIPT);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
