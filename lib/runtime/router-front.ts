/**
 * The front of the environment router: the host's nginx on ENV_PORT, in front of the console's
 * own router (router.ts, then on a Unix socket only nginx reaches). nginx passes a request for
 * `<environment>.<project>.localhost` straight to that environment's web server when the
 * environment has a "fast link"; everything else (another host name, the path form, `www.`,
 * an environment paused, protected by HTTP access control, not deployed, served as static files,
 * or between releases) goes to the console's router, which decides as before.
 *
 * A fast link is a hard link, in a folder only this process writes (DATA_DIR/run/router/links),
 * to the socket the release's nginx bound in its sandbox, `<project>.<environment>.sock`, with a
 * marker file beside it that nginx looks for (its `-f` test; a socket is not a file to it):
 * `<project>.<environment>.open` (open to search engines) or `….noindex` (answered with
 * X-Robots-Tag and a robots.txt that disallows everything). The link is made with link(2), which
 * never follows a link at the socket's path, and kept only when what it names is a socket; a
 * socket the sandbox replaced later is not the linked one. Markers go before the link does. Links are made again whenever the router's target of an
 * environment changes in this process (a deploy's switch, Pause, Resume, Deactivate), checked
 * every second against the environment's current release and settings (so a change made
 * elsewhere takes effect within a second, as with the router's own belief), and made when the
 * console's router passes a request of an environment that could have one.
 *
 * What nginx does on the fast path, as the console's router does: X-Forwarded-For/-Host/-Proto,
 * X-Client-IP and X-Original-Forwarded-For; the client address from the last X-Forwarded-For entry
 * with TRUST_PROXY; 413 over ROUTER_MAX_BODY_MB; 10 s for a client's headers; no answer within
 * ROUTER_UPSTREAM_TIMEOUT, or no connection, goes to the console's router, which writes the
 * environment's error.log line and answers (a GET or HEAD that found nothing listening is tried
 * again there, where a request meant for a stopped release reaches the new one). Its access lines
 * are written to a spool per environment that router-front-logs.ts moves into the environment's
 * access.log. Answers are streamed with fixed buffers, so ROUTER_MAX_RESPONSE_MB does not apply
 * on the fast path. An application's X-Accel-* headers are neither obeyed nor passed on; one site
 * holds at most 1,024 of nginx's connections (then 503), so the others keep theirs.
 */
import "server-only";
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { dataPaths } from "@/lib/paths";
import { findProgram } from "./host-programs";
import { ROUTER_FILE, routerSettingsFile, STATIC_SITE_SUFFIX, type RouterSettings } from "./deploy";
import { getRuntimeDriver } from "./driver/get-driver";
import { NO_HTTP_ACCESS } from "./http-access";
import { onRouterTargetChange, readRouterTarget } from "./router-targets";
import { startFrontLogSpool } from "./router-front-logs";

/** A project's or environment's name, as the router accepts it. */
export const ROUTER_NAME = "[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?";
const SITE = new RegExp(`^(${ROUTER_NAME})\\.(${ROUTER_NAME})$`);
/** The header nginx sets on what it passes to the console's router: the client's address. Any a client sent is replaced. */
export const FRONT_CLIENT_HEADER = "x-pwi-front-client";
/** The header nginx sets when it passes a request it could not complete on the fast path: 502 (no connection) or 504 (no answer in time). */
export const FRONT_ERROR_HEADER = "x-pwi-front-error";
/** Paths that reach nginx's configuration unquoted: the folder must be plain. */
const PLAIN_PATH = /^\/[A-Za-z0-9._/-]+$/;

export interface FrontPaths {
  root: string;
  links: string;
  spool: string;
  nodeSocket: string;
}

export function frontPaths(): FrontPaths {
  const root = path.join(dataPaths.run(), "router");
  return { root, links: path.join(root, "links"), spool: path.join(root, "spool"), nodeSocket: path.join(root, "console.sock") };
}

export interface FrontSettings {
  port: number;
  trustProxy: boolean;
  maxBodyMb: number;
  upstreamTimeoutS: number;
  /** Whether to listen on [::] as well. */
  ipv6: boolean;
  /** Started by root, nginx's workers would become another user; they run as this process's. */
  asRoot: boolean;
}

/** nginx's configuration of the front. Pure. */
export function buildFrontConfig(paths: FrontPaths, settings: FrontSettings): string {
  for (const p of [paths.root, paths.links, paths.spool, paths.nodeSocket]) {
    if (!PLAIN_PATH.test(p)) throw new Error(`the router's folder ${JSON.stringify(p)} has characters nginx's configuration would need quoted; use a DATA_DIR of letters, digits, ".", "_", "-" and "/"`);
  }
  const forwarded = [
    "proxy_http_version 1.1;",
    'proxy_set_header Connection "";',
    "proxy_set_header Host $http_host;",
    "proxy_set_header X-Forwarded-For $remote_addr;",
    "proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Host $http_host;",
    "proxy_set_header X-Forwarded-Proto http;",
    "proxy_set_header X-Client-IP $remote_addr;",
    'proxy_set_header Proxy-Authorization "";',
    'proxy_set_header Proxy-Connection "";',
    'proxy_set_header Keep-Alive "";',
  ];
  const robotsHeader = 'add_header X-Robots-Tag "noindex, nofollow" always;';
  const nosniff = "add_header X-Content-Type-Options nosniff always;";
  const accessLog = `access_log ${paths.spool}/$pwi_site.log pwi;`;
  // An application's X-Accel-* headers are not nginx's to obey (an internal redirect elsewhere, a rate that holds connections).
  const accel = ["X-Accel-Redirect", "X-Accel-Limit-Rate", "X-Accel-Buffering", "X-Accel-Charset", "X-Accel-Expires"];
  const hidden = (also: string[] = []) => [...also, ...accel].map((h) => `proxy_hide_header ${h};`);
  const fast = (link: "$pwi_open" | "$pwi_noindex", robots: boolean) => [
    `if (-f ${link}) {`,
    // (break: the location's later rewrite directives, the `return 418` below, are not run.)
    "  break;",
    "  proxy_pass http://unix:$pwi_socket:;",
    // Only what nginx passes itself is its line to write (the console's router writes its own).
    `  ${accessLog}`,
    `  ${nosniff}`,
    // (An X-Robots-Tag of the application's own is passed too: search engines follow the stricter.)
    ...(robots ? [`  ${robotsHeader}`] : []),
    "}",
  ];
  const lines = [
    "# Written by the console at each start: the front of the environment router (router-front.ts).",
    ...(settings.asRoot ? ["user root;"] : []),
    // One process, no master: killed in any way (SIGKILL included), nothing of it is left holding the
    // port, and its parent-death signal reaches all of it. (A master's workers outlive a killed master.)
    "master_process off;",
    "worker_processes 1;",
    "worker_rlimit_nofile 40000;",
    "daemon off;",
    `pid ${paths.root}/nginx.pid;`,
    `error_log ${paths.root}/nginx-error.log crit;`,
    "events { worker_connections 16384; }",
    "http {",
    "  server_tokens off;",
    "  default_type application/octet-stream;",
    `  client_body_temp_path ${paths.root}/tmp/body;`,
    `  proxy_temp_path ${paths.root}/tmp/proxy;`,
    `  fastcgi_temp_path ${paths.root}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${paths.root}/tmp/uwsgi;`,
    `  scgi_temp_path ${paths.root}/tmp/scgi;`,
    "  client_header_timeout 10s;",
    "  large_client_header_buffers 4 16k;",
    `  client_max_body_size ${settings.maxBodyMb}m;`,
    "  keepalive_timeout 5s;",
    "  proxy_max_temp_file_size 0;",
    `  proxy_read_timeout ${settings.upstreamTimeoutS}s;`,
    `  proxy_send_timeout ${settings.upstreamTimeoutS}s;`,
    "  proxy_connect_timeout 5s;",
    `  proxy_ignore_headers ${accel.join(" ")};`,
    ...hidden().map((l) => `  ${l}`),
    // One site may hold this many connections of nginx's on the fast path (then 503): the others keep theirs.
    "  limit_conn_zone $pwi_site zone=pwi_site:4m;",
    "  limit_conn_status 503;",
    ...(settings.trustProxy ? ["  set_real_ip_from 0.0.0.0/0;", "  set_real_ip_from ::/0;", "  real_ip_header X-Forwarded-For;"] : []),
    // <environment>.<project>.localhost → "<project>.<environment>"; anything else (www. too) → "".
    "  map $host $pwi_site {",
    `    "~^(?<pwi_e>${ROUTER_NAME})\\.(?<pwi_p>${ROUTER_NAME})\\.localhost$" "$pwi_p.$pwi_e";`,
    '    default "";',
    "  }",
    "  log_format pwi escape=json '{\"t\":$msec,\"m\":\"$request_method\",\"u\":\"$request_uri\",\"s\":$status,\"d\":$request_time,\"b\":$body_bytes_sent,\"c\":\"$remote_addr\"}';",
    "  open_log_file_cache max=1000 inactive=10s valid=1s;",
    "  server {",
    `    listen ${settings.port};`,
    ...(settings.ipv6 ? [`    listen [::]:${settings.port};`] : []),
    `    root ${paths.root}/empty;`,
    `    set $pwi_socket ${paths.links}/$pwi_site.sock;`,
    `    set $pwi_open ${paths.links}/$pwi_site.open;`,
    `    set $pwi_noindex ${paths.links}/$pwi_site.noindex;`,
    "    error_page 418 = @console;",
    "    error_page 502 = @unreachable;",
    "    error_page 504 = @late;",
    // (Its body was not read: the console's router could not be given it; the same page, from a file.)
    "    error_page 413 /.pwi-413.html;",
    "    location = /.pwi-413.html {",
    "      internal;",
    `      root ${paths.root}/pages;`,
    "      default_type \"text/html; charset=utf-8\";",
    '      add_header Cache-Control "no-store" always;',
    "      add_header X-Content-Type-Options nosniff always;",
    "    }",
    '    if ($pwi_site = "") { return 418; }',
    ...forwarded.map((l) => `    ${l}`),
    `    proxy_set_header ${FRONT_CLIENT_HEADER} "";`,
    `    proxy_set_header ${FRONT_ERROR_HEADER} "";`,
    "    access_log off;",
    "    location = /robots.txt {",
    ...hidden(["X-Content-Type-Options"]).map((l) => `      ${l}`),
    // (For the answer below only: a passed answer keeps its own Content-Type.)
    "      default_type \"text/plain; charset=utf-8\";",
    "      if (-f $pwi_noindex) {",
    `        ${accessLog}`,
    `        ${robotsHeader}`,
    '        add_header Cache-Control "no-cache" always;',
    "        return 200 \"User-agent: *\\nDisallow: /\\n\";",
    "      }",
    ...fast("$pwi_open", false).map((l) => `      ${l}`),
    "      return 418;",
    "    }",
    "    location / {",
    ...hidden(["X-Content-Type-Options"]).map((l) => `      ${l}`),
    "      limit_conn pwi_site 1024;",
    ...fast("$pwi_open", false).map((l) => `      ${l}`),
    ...fast("$pwi_noindex", true).map((l) => `      ${l}`),
    "      return 418;",
    "    }",
    // To the console's router: the request as the client sent it (it adds the forwarding headers itself), with the client's address.
    ...(["@console", "@unreachable", "@late"] as const).flatMap((name) => [
      `    location ${name} {`,
      "      access_log off;",
      `      proxy_pass http://unix:${paths.nodeSocket}:;`,
      "      proxy_http_version 1.1;",
      // (The console's router keeps ROUTER_UPSTREAM_TIMEOUT itself: nginx waits for its answer longer.)
      `      proxy_read_timeout ${settings.upstreamTimeoutS + 30}s;`,
      `      proxy_send_timeout ${settings.upstreamTimeoutS + 30}s;`,
      '      proxy_set_header Connection "";',
      "      proxy_set_header Host $http_host;",
      `      proxy_set_header ${FRONT_CLIENT_HEADER} $remote_addr;`,
      `      proxy_set_header ${FRONT_ERROR_HEADER} ${name === "@late" ? "504" : name === "@unreachable" ? "502" : '""'};`,
      "    }",
    ]),
    "  }",
    "}",
    "",
  ];
  return lines.join("\n");
}

/** The settings a deployment was made with (a deployment from before settings existed: open, visible). */
export async function routerSettingsOf(deployDir: string): Promise<RouterSettings> {
  return parseRouterSettings((await fs.promises.readFile(routerSettingsFile(deployDir), "utf8").catch(() => null)) ?? (await fs.promises.readFile(path.join(deployDir, ROUTER_FILE), "utf8").catch(() => null)));
}

function readSync(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function parseRouterSettings(text: string | null): RouterSettings {
  if (text === null) return { httpAccess: NO_HTTP_ACCESS, restrictRobots: false };
  try {
    return JSON.parse(text) as RouterSettings;
  } catch {
    // Unreadable settings must not open a protected site.
    return { httpAccess: { enabled: true, logins: [], rules: [] }, restrictRobots: true };
  }
}

/** Whether an environment's site may be passed straight to its release, and how: its deployment's settings decide. Synchronous. */
function fastKind(projectId: string, environmentName: string): { kind: "open" | "noindex"; release: string } | null {
  const target = readRouterTarget(projectId, environmentName);
  if (!target.deployDir || target.paused) return null;
  if (fs.existsSync(`${target.deployDir}${STATIC_SITE_SUFFIX}`)) return null;
  const settings = parseRouterSettings(readSync(routerSettingsFile(target.deployDir)) ?? readSync(path.join(target.deployDir, ROUTER_FILE)));
  if (settings.httpAccess.enabled) return null;
  return { kind: settings.restrictRobots ? "noindex" : "open", release: path.basename(target.deployDir) };
}

/** The longest path a Unix socket may have (sun_path, with its NUL). */
const MAX_SOCKET_PATH = 107;

const KINDS = ["open", "noindex"] as const;
const siteFile = (projectId: string, environmentName: string, ending: "sock" | (typeof KINDS)[number]) => `${projectId}.${environmentName}.${ending}`;

/** Markers first (nginx then stops using the link), then the link; `keep`: a marker left. */
function removeLinks(links: string, projectId: string, environmentName: string, keep?: (typeof KINDS)[number]) {
  for (const kind of KINDS) if (kind !== keep) fs.rmSync(path.join(links, siteFile(projectId, environmentName, kind)), { force: true });
  if (!keep) fs.rmSync(path.join(links, siteFile(projectId, environmentName, "sock")), { force: true });
}

/**
 * Makes an environment's fast link agree with what it serves now: a link to its current
 * release's socket and the marker of its kind when it may have one, none otherwise. Synchronous
 * from its first look at the files to its last change, so a change (a Pause, a deploy's switch)
 * is never overtaken by a look taken before it.
 */
export function syncFastLink(links: string, projectId: string, environmentName: string): void {
  if (!SITE.test(`${projectId}.${environmentName}`)) return;
  const wanted = fastKind(projectId, environmentName);
  if (!wanted) return removeLinks(links, projectId, environmentName);
  const socket = getRuntimeDriver().webSocket(projectId, environmentName, wanted.release);
  const file = path.join(links, siteFile(projectId, environmentName, "sock"));
  // (Long names: nginx could not connect to the link; the console's router serves them.)
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) return removeLinks(links, projectId, environmentName);
  const marker = path.join(links, siteFile(projectId, environmentName, wanted.kind));
  const now = fs.lstatSync(socket, { throwIfNoEntry: false, bigint: true });
  if (!now?.isSocket()) return removeLinks(links, projectId, environmentName);
  const linked = fs.lstatSync(file, { throwIfNoEntry: false, bigint: true });
  if (linked?.isSocket() && linked.ino === now.ino && fs.existsSync(marker)) return removeLinks(links, projectId, environmentName, wanted.kind);
  const temporary = path.join(links, `.${crypto.randomBytes(6).toString("hex")}`);
  try {
    // The other kind's marker goes first (a kind never serves with the other's headers).
    for (const kind of KINDS) if (kind !== wanted.kind) fs.rmSync(path.join(links, siteFile(projectId, environmentName, kind)), { force: true });
    // link(2) links whatever is at `socket` itself (a link there is linked, not followed): only a socket is kept.
    fs.linkSync(socket, temporary);
    if (!fs.lstatSync(temporary).isSocket()) return removeLinks(links, projectId, environmentName);
    fs.renameSync(temporary, file);
    fs.writeFileSync(temporary, "");
    fs.renameSync(temporary, marker);
  } catch {
    removeLinks(links, projectId, environmentName);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/** Every environment that has a link now. */
function linkedSites(links: string): { projectId: string; environmentName: string }[] {
  const out = new Map<string, { projectId: string; environmentName: string }>();
  for (const entry of fs.readdirSync(links)) {
    const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.(?:sock|open|noindex)$/.exec(entry);
    if (m) out.set(`${m[1]}.${m[2]}`, { projectId: m[1]!, environmentName: m[2]! });
    else if (entry.startsWith(".")) fs.rmSync(path.join(links, entry), { force: true });
  }
  return [...out.values()];
}

/** The 413 page nginx answers on the fast path, as the console's router words it. */
function tooLargePage(maxBodyMb: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Request too large</title>
<style>body{font:16px system-ui,sans-serif;margin:20vh auto;max-width:36rem;color:#1b1f27}h1{font-size:1.4rem}</style></head><body><h1>Request too large</h1><p>Requests to environments may carry at most ${maxBodyMb} MiB (ROUTER_MAX_BODY_MB).</p></body></html>\n`;
}

async function canListenIpv6(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(0, "::1", () => probe.close(() => resolve(true)));
  });
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

export interface RouterFront {
  paths: FrontPaths;
  /** The console's router passed a request of this environment: it may be given a link. */
  passedBySlowPath(projectId: string, environmentName: string): void;
  stop(): Promise<void>;
}

/** Stops an nginx of an earlier run (it outlived a process killed with SIGKILL before its parent-death signal arrived). */
function stopLeftover(paths: FrontPaths) {
  const pid = Number(fs.readFileSync(path.join(paths.root, "nginx.pid"), "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  if (cmdline.includes(path.join(paths.root, "nginx.conf"))) process.kill(pid, "SIGTERM");
}

/**
 * Starts nginx on `settings.port` in front of the console's router (which must listen on
 * `paths.nodeSocket` first). Resolves with the front once nginx accepts connections, or with the
 * reason it could not (the caller then listens on the port itself).
 */
export async function startRouterFront(settings: Omit<FrontSettings, "ipv6" | "asRoot">, log: (line: string) => void): Promise<{ ok: true; front: RouterFront } | { ok: false; reason: string }> {
  const nginx = findProgram("nginx");
  if (!nginx) return { ok: false, reason: "this host has no nginx" };
  const setpriv = findProgram("setpriv");
  const paths = frontPaths();
  let config: string;
  try {
    config = buildFrontConfig(paths, { ...settings, ipv6: await canListenIpv6(), asRoot: process.getuid?.() === 0 });
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  try {
    stopLeftover(paths);
  } catch {
    // none
  }
  for (const dir of [paths.root, paths.links, paths.spool, path.join(paths.root, "tmp"), path.join(paths.root, "empty"), path.join(paths.root, "pages")]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Links of an earlier run name sockets that are gone or will be made again; its spool was read up to a place this run does not know.
  for (const dir of [paths.links, paths.spool]) for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { force: true, recursive: true });
  fs.writeFileSync(path.join(paths.root, "nginx.conf"), config, { mode: 0o600 });
  fs.writeFileSync(path.join(paths.root, "pages", ".pwi-413.html"), tooLargePage(settings.maxBodyMb));
  const spool = startFrontLogSpool(paths.spool);

  let child: ChildProcess | null = null;
  let stopping = false;
  let failures = 0;
  const errors: string[] = [];
  const launch = () => {
    const args = ["-p", paths.root, "-c", path.join(paths.root, "nginx.conf")];
    // With setpriv, nginx gets SIGTERM when this process dies, even by SIGKILL: it never outlives the console.
    const started = setpriv ? spawn(setpriv, ["--pdeathsig", "TERM", "--", nginx, ...args], { stdio: ["ignore", "ignore", "pipe"] }) : spawn(nginx, args, { stdio: ["ignore", "ignore", "pipe"] });
    child = started;
    started.stderr?.setEncoding("utf8").on("data", (text: string) => {
      errors.push(text);
      if (errors.length > 20) errors.shift();
    });
    const at = Date.now();
    started.once("exit", (code, signal) => {
      if (child === started) child = null;
      if (stopping) return;
      failures = Date.now() - at < 10_000 ? failures + 1 : 0;
      const delay = Math.min(5_000, 100 * 2 ** failures);
      log(`[router] The environment router's nginx exited (${signal ?? `code ${code}`}): ${errors.join("").trim().split("\n").at(-1) ?? ""}; starting it again in ${delay} ms.`);
      setTimeout(() => stopping || launch(), delay).unref();
    });
  };
  launch();
  // Up when the port answers; failed when nginx exits first (its own sentence says why).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await answers(settings.port)) break;
    if (failures > 0 || Date.now() > deadline) {
      stopping = true;
      (child as ChildProcess | null)?.kill("SIGTERM");
      await spool.stop();
      const said = errors.join("").trim().split("\n").filter(Boolean).at(-1);
      return { ok: false, reason: said ? `nginx: ${said.replace(/^nginx: /, "")}` : "nginx did not start listening within 10 s" };
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  const sync = (projectId: string, environmentName: string) => {
    try {
      syncFastLink(paths.links, projectId, environmentName);
    } catch (err) {
      log(`[router] The fast link of ${projectId}/${environmentName} could not be made: ${(err as Error).message}`);
    }
  };
  // At once, before anything else of the change happens (a paused site must not be passed on).
  const unsubscribe = onRouterTargetChange(sync);
  const sweep = setInterval(() => {
    try {
      for (const site of linkedSites(paths.links)) sync(site.projectId, site.environmentName);
    } catch {
      // the folder went: the next sweep
    }
  }, 1_000);
  sweep.unref();
  log(`[startup] Environment router: nginx on port ${settings.port} passes sites straight to their environments' web servers; the console decides the rest.`);
  const front: RouterFront = {
    paths,
    passedBySlowPath: (projectId, environmentName) => sync(projectId, environmentName),
    stop: async () => {
      stopping = true;
      clearInterval(sweep);
      unsubscribe();
      const running = child as ChildProcess | null;
      if (running && running.exitCode === null) {
        const exited = new Promise<void>((r) => running.once("exit", () => r()));
        running.kill("SIGQUIT");
        const timer = setTimeout(() => running.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await spool.stop();
    },
  };
  return { ok: true, front };
}

