/**
 * The nginx configuration of one environment's web server, built from the parsed `web.locations`.
 * Pure. Modelled on kubernetes/ingress-nginx's template: one template (`buildNginxConfig`), small
 * named helpers, and one escaping function, `quote`, through which every value passes.
 *
 * Semantics, as the platform documents web.locations (platformsh-docs, app-reference/web.md);
 * where it is silent, the choice made here:
 * - A location's key is a path prefix matched by whole segments ("/media" answers /media and
 *   /media/…, not /media-old); the longest one wins, which is nginx's own prefix matching. No
 *   regex location stands at the top level, so none can take a request from its prefix and `^~`
 *   is not needed. Without a "/" location, what no location matches is answered 404.
 * - `root` is relative to the application and the location's prefix maps onto it ("/media/a.jpg"
 *   → <root>/a.jpg: nginx's `root` when the folder ends with the path, else `alias`). Without a
 *   root no file is served: everything goes to passthru.
 * - An allowed file that exists is served, with `expires` and `headers` (static files only: the
 *   application's responses are left as it makes them); a folder gives the first of its `index`
 *   files; without `index` a folder is "missing". A location's bare path ("/media", no slash) is
 *   redirected to its folder when that has an index, else goes to passthru; rules apply under it.
 * - Missing files, and files `allow: false` refuses, go to `passthru`: a path is an internal
 *   redirect to it (the request's query string appended after the passthru's own); `true` goes to
 *   the application — over HTTP the request as it came, over FastCGI the front controller, i.e.
 *   the nearest enclosing location's passthru path, else /index.php. No passthru: 404.
 * - FastCGI: a passthru path ending in .php runs that script from the root of the location
 *   holding its path, whatever that location's `scripts` says (the platform: `scripts` does not
 *   apply to passthru). `scripts: true` runs the .php files under the root (PATH_INFO as in
 *   /index.php/admin); a script that is not a file is "missing", so /upload.jpg/x.php never runs
 *   an image. Otherwise a .php path (any case) is never served, not even as source: it is
 *   treated as a file `allow` refuses. The same holds for HTTP applications.
 * - `rules`: regexes matched against the path, in the order written, first match wins; the
 *   rule's keys replace the location's (`headers` as a whole). A rule's passthru may use its
 *   named groups ($name) and $1…$9.
 * - `expires` sets Expires and Cache-Control: max-age, unless `headers` has a Cache-Control.
 *   A Content-Type in `headers` replaces the type nginx would choose (not a second header).
 * - The server's own files (.router.json, …) are answered 404 wherever they are asked for.
 */
import path from "node:path";
import { SERVER_FILES, normalLocationPath, parseExpires, regexGroupNames, renameRegexGroups, type LocationConfig, type LocationRule } from "@/lib/config/parse-config";

export type NginxUpstream = { kind: "fastcgi"; socket: string } | { kind: "http"; socket: string } | { kind: "http"; port: number };

/** What the configuration is built from. Paths are those inside the sandbox. */
export interface NginxConfigInput {
  /** The application's folder ("/app"). */
  appDir: string;
  /** The Unix socket nginx listens on (the environment router proxies to it). */
  listen: string;
  /** A writable folder: the pid file and every *_temp_path go under it. */
  tempDir: string;
  /** An nginx mime.types file to include, or null for a small built-in table. */
  mimeTypes: string | null;
  upstream: NginxUpstream;
  locations: Record<string, LocationConfig>;
  /** client_max_body_size, in bytes (0: no limit, as nginx reads it). */
  maxBodyBytes: number;
  upstreamTimeoutSeconds: number;
}

/** A user's `$`, made literal: nginx interpolates variables in most strings, and this geo variable's value is "$". */
const DOLLAR = "${pwi_dollar}";
/** Named groups of rules are renamed so that no group can collide with an nginx variable ($host, $uri…). */
const GROUP_PREFIX = "pwi_g_";
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * How `quote` treats `$`: "text" for directives that interpolate variables (the `$` becomes
 * literal), "literal" where nginx reads the text as is (location paths and regexes, listen, pid,
 * types), `{ groups }` for a rule's passthru: $1…$9 and the rule's named groups stay references.
 */
export type QuoteMode = "text" | "literal" | { groups: readonly string[] };

/**
 * The one escaping function: `value` as a double-quoted nginx string (`\` and `"` escaped, `$`
 * per `mode`), followed by `then`, one of our own variable suffixes. Throws on control characters
 * (the configuration schema refused them already: this is the second guard).
 */
export function quote(value: string, mode: QuoteMode = "text", then: "" | "$is_args$args" | "$pwi_and_args" = ""): string {
  const control = CONTROL.exec(value);
  if (control) throw new Error(`a value for the nginx configuration contains the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0")}: ${JSON.stringify(value.slice(0, 80))}`);
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" || c === '"') out += `\\${c}`;
    else if (c !== "$" || mode === "literal") out += c;
    else {
      const ref = typeof mode === "object" ? groupReference(value.slice(i + 1), mode.groups) : null;
      out += ref ? ref.text : DOLLAR;
      i += ref?.length ?? 0;
    }
  }
  return `"${out}${then}"`;
}

/** A reference to a capture at the start of `rest` (what follows a `$`): a digit, or a known group's name, bare or in braces. */
function groupReference(rest: string, groups: readonly string[]): { text: string; length: number } | null {
  if (/^[0-9]/.test(rest)) return { text: `$${rest[0]}`, length: 1 };
  const m = /^(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(rest);
  const name = m?.[1] ?? m?.[2];
  return name !== undefined && groups.includes(name) ? { text: `\${${GROUP_PREFIX}${name}}`, length: m![0].length } : null;
}

/** A path the driver gives (inside the sandbox): absolute, and without `$`, quotes or control characters. */
function checkedPath(p: string, what: string): string {
  if (!p.startsWith("/") || /[$"\\]/.test(p) || CONTROL.test(p)) throw new Error(`${what} must be an absolute path without $, quotes, backslashes or control characters: ${JSON.stringify(p)}`);
  return p;
}

/** What a location, or a rule inside it, does with a request. */
interface Handling {
  allow: boolean;
  scripts: boolean;
  passthru: boolean | string;
  /** Seconds, or null for none. */
  expires: number | null;
  headers: Record<string, string>;
  /** The named groups a rule's passthru may use (null outside rules). */
  groups: readonly string[] | null;
}

/** Static-file directives an nginx location inherits from the one around it. */
interface Inherited {
  expires: boolean;
  headers: boolean;
  contentType: boolean;
}
const NOTHING_INHERITED: Inherited = { expires: false, headers: false, contentType: false };

interface Place {
  /** The normalized location path ("/", "/media"). */
  path: string;
  /** Files are served from here (absolute), or null. */
  dir: string | null;
  hasIndex: boolean;
  /**
   * The path maps onto `dir` through `alias` (`dir` does not end with the path, so `root` cannot
   * do it). Then try_files would cut the location's path off a fallback URI that starts with it
   * (nginx does so for files, and wrongly for the fallback too), so fallbacks go through a named location.
   */
  alias: boolean;
}

interface Build {
  input: NginxConfigInput;
  fastcgi: boolean;
  /** Each location's normalized path and folder, for passthru scripts. */
  places: { path: string; dir: string | null }[];
  /** Named locations that redirect to a fallback URI, by the quoted URI. */
  named: Map<string, string>;
  /** Passthru scripts to run through exact locations (FastCGI), by path: the script's file, or null when the location holding it serves no files. */
  scripts: Map<string, { file: string } | null>;
}

/** try_files never finds this: it names the root folder itself, and try_files looks for files. */
const NEVER_A_FILE = "/.";
/** Paths of PHP scripts, as nginx matches them (any case: `.PHP` is never served either). */
const PHP_PATH = quote(String.raw`\.php(/|$)`, "literal");

const indent = (lines: string[]) => lines.map((l) => (l === "" ? l : `    ${l}`));
const block = (head: string, body: string[]) => [`${head} {`, ...indent(body), "}"];

const handlingOf = (loc: LocationConfig): Handling => ({
  allow: loc.allow ?? true,
  scripts: loc.scripts ?? false,
  passthru: loc.passthru ?? false,
  expires: expiresOf(loc.expires),
  headers: loc.headers ?? {},
  groups: null,
});

function expiresOf(value: string | number | undefined): number | null {
  if (value === undefined) return null;
  const parsed = parseExpires(value);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.seconds;
}

/** A rule's handling: its keys replace its location's. */
const ruleHandling = (base: Handling, rule: LocationRule, regex: string): Handling => ({
  allow: rule.allow ?? base.allow,
  scripts: rule.scripts ?? base.scripts,
  passthru: rule.passthru ?? base.passthru,
  expires: rule.expires === undefined ? base.expires : expiresOf(rule.expires),
  headers: rule.headers ?? base.headers,
  groups: regexGroupNames(regex),
});

/** The location holding `urlPath` (the longest prefix by whole segments), or undefined. */
function placeOf(b: Build, urlPath: string) {
  const under = (p: string) => p === "/" || urlPath === p || urlPath.startsWith(`${p}/`);
  return b.places.filter((p) => under(p.path)).sort((x, y) => y.path.length - x.path.length)[0];
}

/** Where a request goes when no file answers it: a try_files fallback ("=404", "@app" or a quoted URI). */
function fallbackOf(h: Handling, place: Place, b: Build): string {
  if (h.passthru === false) return "=404";
  if (h.passthru === true && !b.fastcgi) return "@app";
  const target = h.passthru === true ? frontController(place.path, b) : h.passthru;
  const scriptPath = target.split("?")[0]!;
  if (b.fastcgi && /\.php$/.test(scriptPath) && !(h.groups && scriptPath.includes("$"))) addPassthruScript(scriptPath, b);
  const uri = quote(target, h.groups ? { groups: h.groups } : "text", target.includes("?") ? "$pwi_and_args" : "$is_args$args");
  if (!place.alias) return uri;
  if (!b.named.has(uri)) b.named.set(uri, `@pwi_passthru_${b.named.size + 1}`);
  return b.named.get(uri)!;
}

/** FastCGI `passthru: true`: the nearest enclosing location's passthru path, else /index.php. */
function frontController(locationPath: string, b: Build): string {
  const enclosing = Object.entries(b.input.locations)
    .map(([key, loc]) => ({ path: normalLocationPath(key)!, passthru: loc.passthru }))
    .filter((l) => typeof l.passthru === "string" && (l.path === "/" || locationPath === l.path || locationPath.startsWith(`${l.path}/`)))
    .sort((x, y) => y.path.length - x.path.length)[0];
  return (enclosing?.passthru as string | undefined) ?? "/index.php";
}

/** Records the file a passthru script runs (null when the location holding it serves no files). */
function addPassthruScript(scriptPath: string, b: Build): void {
  if (b.scripts.has(scriptPath)) return;
  const place = placeOf(b, scriptPath);
  if (!place || place.dir === null) return void b.scripts.set(scriptPath, null);
  const rest = place.path === "/" ? scriptPath : scriptPath.slice(place.path.length);
  b.scripts.set(scriptPath, { file: `${place.dir}${rest}` });
}

/** Where a request goes straight away (no file is looked for). */
const direct = (fallback: string) => (fallback === "=404" ? ["return 404;"] : [`try_files ${NEVER_A_FILE} ${fallback};`]);

/** The types nginx chooses Content-Type from. */
function typesLines(input: NginxConfigInput): string[] {
  if (input.mimeTypes !== null) return [`include ${quote(checkedPath(input.mimeTypes, "mimeTypes"), "literal")};`, "default_type application/octet-stream;"];
  return [...block("types", BUILT_IN_TYPES.map(([type, exts]) => `${type} ${exts};`)), "default_type application/octet-stream;"];
}

const BUILT_IN_TYPES: [string, string][] = [
  ["text/html", "html htm"],
  ["text/css", "css"],
  ["text/plain", "txt"],
  ["text/xml", "xml"],
  ["text/javascript", "js mjs"],
  ["application/json", "json map"],
  ["application/manifest+json", "webmanifest"],
  ["application/pdf", "pdf"],
  ["application/wasm", "wasm"],
  ["application/zip", "zip"],
  ["image/svg+xml", "svg svgz"],
  ["image/png", "png"],
  ["image/jpeg", "jpg jpeg"],
  ["image/gif", "gif"],
  ["image/webp", "webp"],
  ["image/avif", "avif"],
  ["image/x-icon", "ico"],
  ["font/woff", "woff"],
  ["font/woff2", "woff2"],
  ["font/ttf", "ttf"],
  ["font/otf", "otf"],
  ["application/vnd.ms-fontobject", "eot"],
  ["audio/mpeg", "mp3"],
  ["video/mp4", "mp4"],
  ["video/webm", "webm"],
];

/** expires, headers and Content-Type for static files, undoing what an enclosing location set when this one sets nothing. */
function buildStaticHeaders(h: Handling, inherited: Inherited, input: NginxConfigInput): { lines: string[]; sets: Inherited } {
  const lines: string[] = [];
  const names = Object.keys(h.headers);
  const contentType = names.find((n) => n.toLowerCase() === "content-type");
  const others = names.filter((n) => n !== contentType);
  const expires = h.expires !== null && !names.some((n) => n.toLowerCase() === "cache-control");
  if (expires) lines.push(`expires ${h.expires}s;`);
  else if (inherited.expires) lines.push("expires off;");
  if (contentType !== undefined) lines.push(...block("types", []), `default_type ${quote(h.headers[contentType]!, "literal")};`);
  else if (inherited.contentType) lines.push(...typesLines(input));
  for (const name of others) lines.push(`add_header ${quote(name, "literal")} ${quote(h.headers[name]!)} always;`);
  // An empty add_header adds nothing, and stops nginx from inheriting the enclosing location's.
  if (others.length === 0 && inherited.headers) lines.push('add_header "X-Pwi-None" "";');
  return { lines, sets: { expires, headers: others.length > 0, contentType: contentType !== undefined } };
}

/**
 * The FastCGI parameters (nginx's fastcgi_params, with the router's forwarded scheme), set once
 * in the server: nginx passes them to every location that sets none of its own. A location that
 * runs a script sets `$pwi_path_info` and makes `$request_filename` the script's file.
 */
function buildFastcgiParams(b: Build): string[] {
  if (!b.fastcgi) return [];
  const params: [string, string][] = [
    ["SCRIPT_FILENAME", "$request_filename"],
    ["PATH_INFO", "$pwi_path_info"],
    ["SCRIPT_NAME", "$fastcgi_script_name"],
    ["QUERY_STRING", "$query_string"],
    ["REQUEST_METHOD", "$request_method"],
    ["CONTENT_TYPE", "$content_type"],
    ["CONTENT_LENGTH", "$content_length"],
    ["REQUEST_URI", "$request_uri"],
    ["DOCUMENT_URI", "$document_uri"],
    ["DOCUMENT_ROOT", "$document_root"],
    ["SERVER_PROTOCOL", "$server_protocol"],
    ["REQUEST_SCHEME", "$pwi_scheme"],
    ["GATEWAY_INTERFACE", "CGI/1.1"],
    ["SERVER_SOFTWARE", "nginx"],
    ["REMOTE_ADDR", "$remote_addr"],
    ["REMOTE_PORT", "$remote_port"],
    ["SERVER_NAME", "$host"],
    ["SERVER_PORT", "$pwi_port"],
    ["REDIRECT_STATUS", "200"],
    // httpoxy: a request's Proxy header must not become the script's HTTP_PROXY.
    ["HTTP_PROXY", '""'],
  ];
  return [
    "# PATH_INFO is empty unless a .php location sets it (this runs first for every request and internal redirect).",
    'set $pwi_path_info "";',
    ...params.map(([name, value]) => `fastcgi_param ${name} ${value};`),
    "fastcgi_param HTTPS $pwi_https if_not_empty;",
    `fastcgi_read_timeout ${b.input.upstreamTimeoutSeconds}s;`,
    `fastcgi_send_timeout ${b.input.upstreamTimeoutSeconds}s;`,
  ];
}

/** The directive that hands a request to PHP-FPM. */
function buildFastcgiPass(b: Build): string {
  const upstream = b.input.upstream;
  if (upstream.kind !== "fastcgi") throw new Error("FastCGI for an HTTP upstream");
  return `fastcgi_pass ${quote(`unix:${checkedPath(upstream.socket, "upstream.socket")}`, "literal")};`;
}

const runsScripts = (h: Handling, place: Place, b: Build) => b.fastcgi && h.scripts && place.dir !== null;

/** The .php location inside a location (or rule): scripts run, or .php is refused like a file `allow` refuses. */
function buildScripts(h: Handling, place: Place, inherited: Inherited, b: Build): string[] {
  const fallback = fallbackOf(h, place, b);
  const undo = [...(inherited.expires ? ["expires off;"] : []), ...(inherited.headers ? ['add_header "X-Pwi-None" "";'] : [])];
  if (!runsScripts(h, place, b)) return block(`location ~* ${PHP_PATH}`, [...direct(fallback), ...undo]);
  return block(`location ~* ${PHP_PATH}`, [
    `fastcgi_split_path_info ${quote(String.raw`^(.+?\.php)(/.*)$`, "literal")};`,
    // try_files below sets $uri to the script, which empties $fastcgi_path_info: keep it first.
    "set $pwi_path_info $fastcgi_path_info;",
    `try_files $fastcgi_script_name ${fallback};`,
    ...undo,
    buildFastcgiPass(b),
  ]);
}

/** The body of a location or rule: static files or passthru, then its .php location, then (for a location) its rules. */
function buildHandling(h: Handling, place: Place, inherited: Inherited, b: Build, rules: Record<string, LocationRule>): string[] {
  const fallback = fallbackOf(h, place, b);
  const serve = place.dir !== null && h.allow;
  const lines = serve ? [`try_files $uri ${place.hasIndex ? "$uri/ " : ""}${fallback};`] : direct(fallback);
  const headers = buildStaticHeaders(h, inherited, b.input);
  lines.push(...headers.lines);
  const inner: Inherited = { expires: inherited.expires || headers.sets.expires, headers: inherited.headers || headers.sets.headers, contentType: inherited.contentType || headers.sets.contentType };
  for (const [regex, rule] of Object.entries(rules)) {
    const renamed = renameRegexGroups(regex, (name) => `${GROUP_PREFIX}${name}`);
    lines.push("", ...block(`location ~ ${quote(renamed, "literal")}`, buildHandling(ruleHandling(h, rule, regex), place, inner, b, {})));
  }
  // Where no file is served and no script runs, a .php path already goes where everything goes.
  if (serve || runsScripts(h, place, b)) lines.push("", ...buildScripts(h, place, inner, b));
  return lines;
}

/** One entry of web.locations: its prefix location (and, but for "/", the bare path without the trailing slash). */
function buildLocation(key: string, loc: LocationConfig, b: Build): string[] {
  const locationPath = normalLocationPath(key);
  if (locationPath === null) throw new Error(`not a location path: ${JSON.stringify(key)}`);
  const dir = dirOf(loc, b.input.appDir);
  const hasIndex = typeof loc.index === "string" || (Array.isArray(loc.index) && loc.index.length > 0);
  // root when the folder ends with the path (pub/media for /media), alias otherwise.
  const alias = dir !== null && locationPath !== "/" && !dir.endsWith(locationPath);
  const root = dir === null || alias ? null : locationPath === "/" ? dir : dir.slice(0, -locationPath.length) || "/";
  const place: Place = { path: locationPath, dir, hasIndex, alias };
  const h = handlingOf(loc);
  const files: string[] = [];
  if (root !== null) files.push(`root ${quote(root)};`);
  if (alias) files.push(`alias ${quote(`${dir}/`)};`);
  if (hasIndex) files.push(`index ${(Array.isArray(loc.index) ? loc.index : [loc.index as string]).map((i) => quote(indexName(i))).join(" ")};`);
  const prefix = block(`location ${quote(locationPath === "/" ? "/" : `${locationPath}/`, "literal")}`, [...files, ...buildHandling(h, place, NOTHING_INHERITED, b, loc.rules ?? {})]);
  if (locationPath === "/") return prefix;
  // The bare path is the location's folder: redirected to the folder (as nginx does for folders) when it has an index, else passthru.
  const bare = dir !== null && h.allow && hasIndex ? ["return 301 $uri/$is_args$args;"] : direct(fallbackOf(h, place, b));
  return [...block(`location = ${quote(locationPath, "literal")}`, bare), "", ...prefix];
}

/** An index file's name: nginx would follow a path in it (an internal redirect), so none is taken. */
function indexName(name: string): string {
  if (name.includes("/") || name === "." || name === "..") throw new Error(`an index is a file name: ${JSON.stringify(name)}`);
  return name;
}

/** A location's folder: its root under the application, or null without one. */
function dirOf(loc: LocationConfig, appDir: string): string | null {
  if (loc.root === null || loc.root === undefined) return null;
  if (loc.root.includes("$")) throw new Error(`root ${JSON.stringify(loc.root)} contains $, which nginx would read as a variable`);
  const dir = path.posix.join(appDir, loc.root).replace(/\/+$/, "") || "/";
  if (dir !== appDir && !dir.startsWith(`${appDir}/`)) throw new Error(`root ${JSON.stringify(loc.root)} leaves the application`);
  return dir;
}

/** How the application is reached: the named location HTTP passthru goes to. */
function buildUpstream(b: Build): string[] {
  const { upstream, upstreamTimeoutSeconds: timeout } = b.input;
  if (upstream.kind === "fastcgi") return [];
  const target = "port" in upstream ? `http://127.0.0.1:${portOf(upstream.port)}` : `http://unix:${checkedPath(upstream.socket, "upstream.socket")}:`;
  return block("location @app", [
    `proxy_pass ${quote(target, "literal")};`,
    "proxy_http_version 1.1;",
    "proxy_set_header Host $http_host;",
    "proxy_set_header X-Real-IP $remote_addr;",
    "proxy_set_header X-Forwarded-For $http_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Proto $pwi_scheme;",
    "proxy_set_header Upgrade $http_upgrade;",
    "proxy_set_header Connection $pwi_connection;",
    "proxy_redirect off;",
    `proxy_read_timeout ${timeout}s;`,
    `proxy_send_timeout ${timeout}s;`,
  ]);
}

function portOf(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a TCP port: ${port}`);
  return port;
}

/** The named locations that alias places fall back through: an internal redirect to the URI, from where no alias cuts it. */
function buildNamedFallbacks(b: Build): string[] {
  return [...b.named].flatMap(([uri, name]) => [...block(`location ${name}`, [`try_files ${NEVER_A_FILE} ${uri};`]), ""]);
}

/** The exact locations that run passthru scripts (FastCGI): $request_filename is the script's file through root (or alias, when the root does not end with the path). */
function buildPassthruScripts(b: Build): string[] {
  const lines: string[] = [];
  for (const [scriptPath, script] of [...b.scripts].sort(([x], [y]) => (x < y ? -1 : 1))) {
    // A location of web.locations at the same path keeps it (nginx allows one exact location per path).
    if (b.places.some((p) => p.path === scriptPath)) continue;
    const file = script === null ? [] : script.file.endsWith(scriptPath) ? [`root ${quote(script.file.slice(0, -scriptPath.length) || "/")};`] : [`alias ${quote(script.file)};`];
    const body = script === null ? ["return 404;"] : [...file, buildFastcgiPass(b)];
    lines.push(...block(`location = ${quote(scriptPath, "literal")}`, body), "");
  }
  return lines;
}

/** The complete nginx.conf, for `nginx -p <tempDir> -c <file> -e stderr -g "daemon off;"` as an unprivileged user. */
export function buildNginxConfig(input: NginxConfigInput): string {
  const appDir = checkedPath(input.appDir, "appDir").replace(/\/+$/, "");
  const tempDir = checkedPath(input.tempDir, "tempDir").replace(/\/+$/, "");
  const listen = checkedPath(input.listen, "listen");
  for (const n of [input.maxBodyBytes, input.upstreamTimeoutSeconds]) if (!Number.isInteger(n) || n < 0) throw new Error(`not a whole number: ${n}`);
  const b: Build = {
    input: { ...input, appDir },
    fastcgi: input.upstream.kind === "fastcgi",
    places: Object.entries(input.locations).map(([key, loc]) => ({ path: normalLocationPath(key) ?? "", dir: dirOf(loc, appDir) })),
    named: new Map(),
    scripts: new Map(),
  };
  const locations = Object.entries(input.locations).flatMap(([key, loc]) => [...buildLocation(key, loc, b), ""]);
  if (!b.places.some((p) => p.path === "/")) locations.push(...block("location /", ["return 404;"]), "");
  const serverFiles = SERVER_FILES.map((f) => f.slice(1).replaceAll(".", "\\.")).join("|");
  const temp = (name: string) => quote(`${tempDir}/${name}`, "literal");
  const server = [
    `listen ${quote(`unix:${listen}`, "literal")};`,
    "absolute_redirect off;",
    "",
    "# The files the server writes into every deployment are never served, whatever asks for them.",
    `if ($uri ~ ${quote(`/\\.(?:${serverFiles})(?:/|$)`, "literal")}) {`,
    "    return 404;",
    "}",
    "",
    ...buildFastcgiParams(b),
    "",
    "# When the application does not answer (nothing listens, invalid headers, too slow), nginx says so in",
    "# words and marks the answer, so the router can tell its own errors from the application's 502s.",
    "error_page 502 @pwi_502;",
    "error_page 504 @pwi_504;",
    ...block("location @pwi_502", [
      'add_header X-Pwi-Upstream-Error "502" always;',
      "default_type text/html;",
      'return 502 "<!doctype html><html lang=\\"en\\"><head><meta charset=\\"utf-8\\"><title>The application is not answering</title></head><body><h1>The application is not answering</h1><p>Its web server reached no answer it could use from the application (not running, starting again, or an answer that is not valid HTTP). The environment\'s error.log and app.log (Logs tab in the console) say why.</p></body></html>\\n";',
    ]),
    ...block("location @pwi_504", [
      'add_header X-Pwi-Upstream-Error "504" always;',
      "default_type text/html;",
      'return 504 "<!doctype html><html lang=\\"en\\"><head><meta charset=\\"utf-8\\"><title>The application took too long</title></head><body><h1>The application took too long</h1><p>It did not answer in time. The environment\'s error.log says which request.</p></body></html>\\n";',
    ]),
    "",
    ...buildPassthruScripts(b),
    ...locations,
    ...buildNamedFallbacks(b),
    ...buildUpstream(b),
  ];
  const http = [
    "server_tokens off;",
    "access_log off;",
    "sendfile on;",
    "# No link is followed: a link the application's code or its processes wrote never serves what it points to.",
    "disable_symlinks on;",
    "# Answers pass through with bounded buffers, never spooled to the sandbox's /tmp (memory): the router limits their size.",
    "proxy_max_temp_file_size 0;",
    "fastcgi_max_temp_file_size 0;",
    ...typesLines(b.input),
    `client_max_body_size ${input.maxBodyBytes};`,
    `client_body_temp_path ${temp("client_body")};`,
    `proxy_temp_path ${temp("proxy")};`,
    `fastcgi_temp_path ${temp("fastcgi")};`,
    `uwsgi_temp_path ${temp("uwsgi")};`,
    `scgi_temp_path ${temp("scgi")};`,
    "",
    "# The router connects over the Unix socket and appends the client's address to X-Forwarded-For.",
    "set_real_ip_from unix:;",
    "real_ip_header X-Forwarded-For;",
    "",
    "# ${pwi_dollar} is a literal $ inside values from the repository (nginx interpolates $name).",
    ...block("geo $pwi_dollar", ['default "$";']),
    ...block("map $args $pwi_and_args", ['"" "";', 'default "&$args";']),
    ...block("map $http_x_forwarded_proto $pwi_scheme", ["default http;", "https https;"]),
    ...block("map $http_x_forwarded_proto $pwi_https", ['default "";', "https on;"]),
    ...block("map $http_x_forwarded_proto $pwi_port", ["default 80;", "https 443;"]),
    ...block("map $http_upgrade $pwi_connection", ['default "upgrade";', '"" "";']),
    "",
    ...block("server", trimBlank(server)),
  ];
  const conf = [
    "# Generated by lib/runtime/web-server/nginx-config.ts from web.locations: do not edit.",
    "worker_processes 1;",
    `pid ${temp("nginx.pid")};`,
    "error_log stderr warn;",
    "",
    ...block("events", ["worker_connections 512;"]),
    "",
    ...block("http", http),
  ];
  return `${conf.join("\n")}\n`;
}

function trimBlank(lines: string[]): string[] {
  const out = lines.filter((l, i) => !(l === "" && (i === 0 || lines[i - 1] === "")));
  while (out.at(-1) === "") out.pop();
  return out;
}
