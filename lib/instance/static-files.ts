import "server-only";
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { acceptsEncoding } from "@/lib/accept-encoding";
import { STATIC_HEADERS } from "@/lib/static-headers.mjs";

const URL_PREFIX = "/_next/static/";
const TYPES: Record<string, string> = { ".js": "application/javascript; charset=UTF-8", ".css": "text/css; charset=UTF-8" };
const brotli = promisify(zlib.brotliCompress);

interface StaticFile {
  file: string;
  type: string;
  /** Its Brotli copy, made when first asked for (on libuv's threads) and kept. */
  compressed?: Promise<Buffer>;
}

/**
 * The build's scripts and stylesheets (`.next/static`, as `next build` wrote them), answered
 * Brotli-compressed to the browsers that take it: Next.js compresses with gzip, and Brotli at its
 * highest quality makes the dashboard's JavaScript 13% smaller (the JavaScript budgets are
 * counted in bytes sent). Each file is compressed once and kept (about 350 kB for the whole
 * build): all of them one after another on libuv's threads while the server starts (`prepare`:
 * 1.7 s of CPU, the largest file, 230 kB, 0.3 s), or at once if a browser asks for one first.
 * The build output itself is not touched. Only the addresses of the files found at start are answered: a request's path is
 * looked up, never joined to a folder.
 */
export class StaticFiles {
  private files = new Map<string, StaticFile>();

  constructor(staticDir: string) {
    const walk = (folder: string, prefix: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(folder, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.isDirectory()) walk(path.join(folder, entry.name), `${prefix}${entry.name}/`);
        const type = TYPES[path.extname(entry.name)];
        if (entry.isFile() && type) this.files.set(`${URL_PREFIX}${prefix}${entry.name}`, { file: path.join(folder, entry.name), type });
      }
    };
    walk(staticDir, "");
  }

  get size(): number {
    return this.files.size;
  }

  /** Compresses every file, one at a time, so that no first visitor waits for it; resolves when done. */
  async prepare(): Promise<void> {
    for (const file of this.files.values()) await this.compressed(file).catch(() => undefined);
  }

  private compressed(file: StaticFile): Promise<Buffer> {
    return (file.compressed ??= fs.promises
      .readFile(file.file)
      .then((source) => brotli(source, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: source.length } })));
  }

  /** A GET or HEAD of one of the build's scripts or stylesheets, by a client that takes Brotli. */
  takes(req: http.IncomingMessage): boolean {
    if ((req.method !== "GET" && req.method !== "HEAD") || !req.url?.startsWith(URL_PREFIX)) return false;
    return this.files.has(req.url.split("?")[0]!) && acceptsEncoding(req.headers["accept-encoding"], "br");
  }

  /**
   * Answers a request it `takes` with the file's Brotli copy, as Next.js would answer it otherwise
   * (its headers, immutable caching); a file that cannot be read goes to `pass` (Next.js).
   */
  async serve(req: http.IncomingMessage, res: http.ServerResponse, pass: () => void): Promise<void> {
    const address = req.url!.split("?")[0]!;
    const file = this.files.get(address)!;
    let body: Buffer;
    try {
      body = await this.compressed(file);
    } catch {
      this.files.delete(address);
      return pass();
    }
    res.statusCode = 200;
    for (const { key, value } of STATIC_HEADERS) res.setHeader(key, value);
    res.setHeader("Content-Type", file.type);
    res.setHeader("Content-Encoding", "br");
    res.setHeader("Vary", "Accept-Encoding");
    res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    res.setHeader("Content-Length", body.length);
    res.end(req.method === "HEAD" ? undefined : body);
  }
}
