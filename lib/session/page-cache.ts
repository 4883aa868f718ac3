import "server-only";
import crypto from "node:crypto";
import type http from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { listenToChannel, type Db } from "@/db/client";
import { acceptsEncoding } from "@/lib/accept-encoding";
import { getSessionOwner } from "@/lib/auth/user-sessions";
import { readSessionCookie } from "./auth-settings";
import { CLIENT_HTTPS_HEADER, clientInfo } from "./client-info";

/** The channel on which the database announces every committed change a page may show (migration 0017). */
export const DATA_CHANGES_CHANNEL = "data_changes";

/** The header that says whether an answer came from the cache ("hit") or was rendered ("miss"). */
export const PAGE_CACHE_HEADER = "x-page-cache";

/** The pages kept: their content is read from the database alone (no git, no files, no clock beyond the TTL). */
const PROJECT_LIST = /^\/projects\/?$/;
const PROJECT_PAGE = /^\/projects\/([A-Za-z0-9-]{1,64})\/?$/;
/** A notification that names projects (migration 0018): `p:<id>,<id>`; anything else concerns every page. */
const PROJECTS_CHANGED = /^p:([A-Za-z0-9,-]+)$/;
/** The scope of the project list page: any project's change may show there. */
const LIST_SCOPE = "";
/** A kept page is rendered again after this long even when nothing changed (dates shown, sessions near their end). */
const TTL_MS = 60_000;
const MAX_ENTRY_BYTES = 2 * 1024 * 1024;
const MAX_TOTAL_BYTES = 32 * 1024 * 1024;
const MAX_URL_LENGTH = 2048;
const MAX_COOKIE_LENGTH = 4096;
const MAX_SESSIONS = 1_000;
/** Response headers not replayed: Node writes them for each answer. */
const NOT_REPLAYED = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive", "date"]);
const NONCE = /'nonce-([0-9a-f]{32})'/;
const gzip = promisify(zlib.gzip);
/** Level 1: a third of the default's time for a few percent more bytes; a kept page is compressed for every answer. */
const GZIP_OPTIONS = { level: zlib.constants.Z_BEST_SPEED };
const DECODE: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  br: promisify(zlib.brotliDecompress),
  deflate: promisify(zlib.inflate),
  identity: async (b) => b,
};

interface Entry {
  /** The project the page shows ("" for the project list). */
  scope: string;
  headers: http.OutgoingHttpHeaders;
  /** The page as rendered (not compressed), and the CSP nonce it was rendered with. */
  body: string;
  nonce: string;
  expiresAt: number;
}

export interface PageCacheSettings {
  db: Db;
  /** The Auth.js secret (tests; the server's own by default): session cookies are read by Auth.js with it. */
  secret?: string;
  /** PUBLIC_URL, which decides (as for Auth.js) whether the session cookie has the __Secure- name. */
  publicUrl?: string;
  now?: () => number;
}

/**
 * Whole documents of the pages that are a function of the database and the request, kept per
 * session and address, and dropped when what they show changes. The server's front door
 * (server.ts) asks it first for the pages it `takes`.
 *
 * - Every write to the tables a page reads NOTIFYs `data_changes` on commit (statement triggers,
 *   so no write path can forget it). A change of one project's environments, activities,
 *   deployments, backups, variables or mail names the project (migration 0018): it drops that
 *   project's page and the project list. Any other change (users, sessions, members, projects
 *   themselves, settings) drops every page. A render that began before a change that concerns
 *   it is not kept (its scope's generation has passed), so a kept page is never older than the
 *   last change this process heard. While the LISTEN is down (PostgreSQL reconnecting) nothing
 *   is kept or served.
 * - Requests for a page while it is being rendered wait for that one render (one render per
 *   page and session at a time, however many ask), then get it from the cache.
 * - A hit still checks the session as a render does (a revoked or expired session, a
 *   deactivated user, gets the sign-in redirect from Next.js): the cookie is read by Auth.js
 *   (lib/session/auth-settings.ts) and its row checked against the database once per TTL and
 *   generation — revoking a session or deactivating a user is a change, which clears the checks
 *   with the pages.
 * - The answer is replayed as rendered, under a fresh CSP nonce each time (the render's nonce
 *   is replaced in its headers and body), gzip-compressed on libuv's threads.
 */
export class PageCache {
  private entries = new Map<string, Entry>();
  /** Renders under way, by key: later requests for the same page wait for them. */
  private rendering = new Map<string, Promise<Entry | null>>();
  /** Session checks of this generation, by cookie: a revoked session or a deactivated user is a change, which clears them. */
  private sessions = new Map<string, { sessionId: string; expiresAt: number; checkedAt: number }>();
  private bytes = 0;
  /** Raised by every change that concerns all pages. */
  private generation = 0;
  /** Raised by every change of one project ("" : the project list, raised by every project's change). */
  private scopeGenerations = new Map<string, number>();
  private listening = false;
  private options: PageCacheSettings | null = null;
  private now: () => number = Date.now;

  /** Starts hearing changes; until then (and after the returned stop) nothing is kept or served. */
  async start(options: PageCacheSettings): Promise<() => Promise<void>> {
    this.options = options;
    this.now = options.now ?? Date.now;
    const unlisten = await listenToChannel(options.db, DATA_CHANGES_CHANNEL, (payload) => this.changed(payload), {
      onConnect: () => {
        this.invalidate();
        this.listening = true;
      },
      onDisconnect: () => {
        this.listening = false;
        this.invalidate();
      },
    });
    this.listening = true;
    return async () => {
      this.listening = false;
      this.invalidate();
      await unlisten();
    };
  }

  /** A notification on `data_changes`: the projects it names, or everything. */
  changed(payload: string): void {
    const projects = PROJECTS_CHANGED.exec(payload)?.[1]?.split(",").filter(Boolean);
    if (!projects?.length) return this.invalidate();
    for (const scope of [LIST_SCOPE, ...projects]) {
      this.scopeGenerations.set(scope, (this.scopeGenerations.get(scope) ?? 0) + 1);
      for (const [key, entry] of this.entries) if (entry.scope === scope) this.remove(key);
    }
    // Bounded: the generations of many projects are folded into one change of everything.
    if (this.scopeGenerations.size > 10_000) this.invalidate();
  }

  /** Drops every kept page, and keeps no render that began before now. */
  invalidate(): void {
    this.generation++;
    this.scopeGenerations.clear();
    this.entries.clear();
    this.sessions.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `req` is a page this cache answers: a whole-document GET of a kept page (not a client navigation's RSC request, not a prefetch). */
  takes(req: http.IncomingMessage): boolean {
    return this.listening && scopeOf(req) !== null;
  }

  /**
   * Answers `req` from the cache, or lets `render` (Next.js) answer and keeps the answer.
   * Anything the cache does not keep goes to `render` untouched.
   */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, render: () => void): Promise<void> {
    const scope = scopeOf(req);
    if (!this.listening || scope === null) return render();
    let key: string;
    let until: number;
    try {
      const session = await this.session(req);
      if (!session) return render();
      key = cacheKey(req, session.sessionId);
      until = Math.min(session.expiresAt, this.now() + TTL_MS);
    } catch (err) {
      console.error("[page-cache] session check failed; rendering:", err);
      return render();
    }
    const hit = this.fresh(key) ?? (await this.rendering.get(key)) ?? this.fresh(key);
    if (hit) return this.replay(req, res, hit);
    const rendered = this.capture(res, key, scope, until);
    this.rendering.set(key, rendered);
    void rendered.finally(() => {
      if (this.rendering.get(key) === rendered) this.rendering.delete(key);
    });
    render();
  }

  /** The kept page under `key` if it is still current (most recently used last), else nothing. */
  private fresh(key: string): Entry | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    if (hit.expiresAt <= this.now()) {
      this.bytes -= hit.body.length;
      return undefined;
    }
    this.entries.set(key, hit);
    return hit;
  }

  /**
   * Answers with a kept page under a fresh CSP nonce (as every answer has its own), compressed
   * off the main thread when the client takes gzip.
   */
  private async replay(req: http.IncomingMessage, res: http.ServerResponse, entry: Entry): Promise<void> {
    const nonce = crypto.randomUUID().replaceAll("-", "");
    const html = Buffer.from(entry.body.replaceAll(entry.nonce, nonce));
    const body = acceptsEncoding(req.headers["accept-encoding"], "gzip") ? await gzip(html, GZIP_OPTIONS) : html;
    res.statusCode = 200;
    for (const [name, value] of Object.entries(entry.headers)) {
      if (value !== undefined) res.setHeader(name, typeof value === "string" ? value.replaceAll(entry.nonce, nonce) : Array.isArray(value) ? value.map((v) => v.replaceAll(entry.nonce, nonce)) : value);
    }
    if (body !== html) res.setHeader("content-encoding", "gzip");
    res.setHeader("content-length", body.length);
    res.setHeader(PAGE_CACHE_HEADER, "hit");
    res.end(body);
  }

  /** The live session a request's cookie names, as `getCurrentSession` decides it; null: let Next.js answer. */
  private async session(req: http.IncomingMessage): Promise<{ sessionId: string; expiresAt: number } | null> {
    if (!this.options) return null;
    const cookie = String(req.headers.cookie ?? "");
    if (!cookie) return null;
    const now = this.now();
    const known = this.sessions.get(cookie);
    if (known && known.expiresAt > now && now - known.checkedAt < TTL_MS) return known;
    const generation = this.generation;
    const isHttps = clientInfo(new Headers({ [CLIENT_HTTPS_HEADER]: String(req.headers[CLIENT_HTTPS_HEADER] ?? "") }), this.options.publicUrl).isHttps;
    const named = await readSessionCookie(cookie, isHttps, this.options.secret);
    if (!named) return null;
    const owner = await getSessionOwner(this.options.db, named.sessionId, new Date(this.now()));
    if (!owner || owner.user.id !== named.userId) return null;
    const session = { sessionId: named.sessionId, expiresAt: owner.session.expiresAt.getTime(), checkedAt: now };
    if (generation === this.generation && cookie.length <= MAX_COOKIE_LENGTH) {
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
      this.sessions.set(cookie, session);
    }
    return session;
  }

  /**
   * Keeps what Next.js writes to `res` under `key`, if it is a whole 200 HTML page rendered
   * while nothing it shows changed; resolves to the kept entry, or null.
   */
  private capture(res: http.ServerResponse, key: string, scope: string, until: number): Promise<Entry | null> {
    const generation = this.generation;
    const scopeGeneration = this.scopeGenerations.get(scope) ?? 0;
    const current = () => generation === this.generation && scopeGeneration === (this.scopeGenerations.get(scope) ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let keep = true;
    const collect = (chunk: unknown, encoding?: unknown) => {
      if (!keep || chunk === undefined || chunk === null || typeof chunk === "function") return;
      const buffer = typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8") : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > MAX_ENTRY_BYTES) {
        keep = false;
        chunks.length = 0;
      } else chunks.push(buffer);
    };
    const explicit: http.OutgoingHttpHeaders = {};
    const { write, end, writeHead } = res;
    res.write = function (this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
      collect(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: http.ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      collect(chunk, rest[0]);
      return (end as (...a: unknown[]) => http.ServerResponse).call(this, chunk, ...rest);
    } as typeof res.end;
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      const headers = args.find((a, i) => i > 0 && typeof a === "object" && a !== null && !Array.isArray(a)) as http.OutgoingHttpHeaders | undefined;
      if (headers) for (const [name, value] of Object.entries(headers)) explicit[name.toLowerCase()] = value;
      return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    res.setHeader(PAGE_CACHE_HEADER, "miss");
    return new Promise<Entry | null>((resolve) => {
      res.once("close", () => resolve(null)); // cut off before it finished: nothing kept
      res.once("finish", () => {
        if (!keep || !current() || res.statusCode !== 200) return resolve(null);
        const headers: http.OutgoingHttpHeaders = { ...res.getHeaders(), ...explicit };
        const type = String(headers["content-type"] ?? "");
        const nonce = NONCE.exec(String(headers["content-security-policy"] ?? ""))?.[1];
        const decode = DECODE[String(headers["content-encoding"] ?? "identity")];
        if (!type.startsWith("text/html") || headers["set-cookie"] !== undefined || !nonce || !decode) return resolve(null);
        for (const name of Object.keys(headers)) if (NOT_REPLAYED.has(name) || name === PAGE_CACHE_HEADER) delete headers[name];
        decode(Buffer.concat(chunks)).then(
          (html) => {
            // A change heard while decoding: the page is already older than the data.
            if (!current()) return resolve(null);
            const entry = { scope, headers, body: html.toString("utf8"), nonce, expiresAt: until };
            this.store(key, entry);
            resolve(entry);
          },
          () => resolve(null),
        );
      });
    });
  }

  private store(key: string, entry: Entry): void {
    this.remove(key);
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= MAX_TOTAL_BYTES) break;
      this.entries.delete(oldest);
      this.bytes -= old.body.length;
    }
  }

  private remove(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.body.length;
  }
}

/**
 * The project a kept page shows ("" for the project list), or null for anything not kept: only
 * whole-document GETs (not a client navigation's RSC request, not a prefetch, not an action).
 */
function scopeOf(req: http.IncomingMessage): string | null {
  if (req.method !== "GET" || !req.url || req.url.length > MAX_URL_LENGTH) return null;
  if (req.headers.rsc !== undefined || req.headers["next-router-prefetch"] !== undefined || req.headers["next-action"] !== undefined) return null;
  const path = req.url.split("?")[0]!;
  if (PROJECT_LIST.test(path)) return LIST_SCOPE;
  return PROJECT_PAGE.exec(path)?.[1] ?? null;
}

/** What the page's HTML depends on besides the database: the session, the address, how the server is reached. */
function cacheKey(req: http.IncomingMessage, sessionId: string): string {
  const h = req.headers;
  return JSON.stringify([sessionId, req.url, h.host, h["x-forwarded-host"], h["x-forwarded-proto"], h[CLIENT_HTTPS_HEADER]]);
}
