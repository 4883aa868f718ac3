import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LocationConfig } from "@/lib/config/parse-config";
import { buildNginxConfig, quote, type NginxConfigInput } from "./nginx-config";
import { directivesNamed, parseNginxConfig, shapeOf, type NginxDirective } from "./testing-nginx";
import { GOLDEN, inputFor } from "./testing-web-configs";
import { HOSTILE_HEADER_NAME, HOSTILE_VALUES, hostileLocations, indexOf, literalRegex } from "./testing-hostile";

const TESTDATA = path.join(import.meta.dirname, "testdata");
// UPDATE_GOLDEN=1 npx vitest run lib/runtime/web-server/nginx-config.test.ts rewrites the expected files.
const update = process.env.UPDATE_GOLDEN === "1";

describe("buildNginxConfig golden files", () => {
  it.each(Object.keys(GOLDEN))("%s", (name) => {
    const { app, upstream } = GOLDEN[name]!;
    const conf = buildNginxConfig(inputFor(app(), upstream));
    const file = path.join(TESTDATA, `${name}.conf`);
    if (update) fs.writeFileSync(file, conf);
    expect(conf).toBe(fs.readFileSync(file, "utf8"));
    expect(() => parseNginxConfig(conf)).not.toThrow();
  });
});

/** The server block's directives. */
function serverOf(conf: string): NginxDirective[] {
  const http = parseNginxConfig(conf).find((d) => d.name === "http")!;
  return http.block!.find((d) => d.name === "server")!.block!;
}
const location = (server: NginxDirective[], ...args: string[]) => server.find((d) => d.name === "location" && d.args.join(" ") === args.join(" "));
const directive = (block: NginxDirective[] | undefined, name: string) => block?.filter((d) => d.name === name).map((d) => d.args.join(" "));

describe("buildNginxConfig semantics", () => {
  const build = (locations: Record<string, LocationConfig>, upstream: NginxConfigInput["upstream"] = { kind: "fastcgi", socket: "/run/app/php.sock" }) =>
    serverOf(buildNginxConfig({ ...inputFor(GOLDEN["template-php"]!.app(), upstream), locations }));

  it("maps a location's prefix onto its root by whole segments, with its bare path beside it", () => {
    const server = build({ "/": { root: "public" }, "/media/": { root: "pub/media/", passthru: "/get.php" }, "/docs": { root: "manual", passthru: "/docs/index.html" } });
    expect(directive(location(server, "/")?.block, "root")).toEqual(["/app/public"]);
    expect(directive(location(server, "/media/")?.block, "root")).toEqual(["/app/pub"]);
    expect(directive(location(server, "=", "/media")?.block, "try_files")).toEqual(["/. /get.php$is_args$args"]);
    expect(location(server, "/media")).toBeUndefined();
    // A folder that does not end with the path: alias, and its passthru through a named location (try_files would cut /docs off it).
    expect(directive(location(server, "/docs/")?.block, "alias")).toEqual(["/app/manual/"]);
    expect(directive(location(server, "/docs/")?.block, "try_files")).toEqual(["$uri @pwi_passthru_1"]);
    expect(directive(location(server, "@pwi_passthru_1")?.block, "try_files")).toEqual(["/. /docs/index.html$is_args$args"]);
  });

  it("runs a FastCGI passthru script from the location holding its path, whatever that location's scripts say", () => {
    const server = build({ "/": { root: "pub", scripts: false, passthru: "/index.php" }, "/static": { root: "pub/static", passthru: "/static/front.php?x=1" } });
    expect(location(server, "=", "/index.php")?.block).toEqual(parseNginxConfig('root "/app/pub"; fastcgi_pass "unix:/run/app/php.sock";'));
    expect(directive(location(server, "=", "/static/front.php")?.block, "root")).toEqual(["/app/pub"]);
    const elsewhere = build({ "/": { root: "pub", passthru: "/assets/a.php" }, "/assets": { root: "build" } });
    expect(directive(location(elsewhere, "=", "/assets/a.php")?.block, "alias")).toEqual(["/app/build/a.php"]);
    expect(directive(elsewhere, "fastcgi_param")).toEqual(expect.arrayContaining(["SCRIPT_FILENAME $request_filename", "PATH_INFO $pwi_path_info", "HTTP_PROXY "]));
    expect(directive(location(server, "/static/")?.block, "try_files")).toEqual(["$uri /static/front.php?x=1$pwi_and_args"]);
  });

  it("sends FastCGI `passthru: true` to the nearest enclosing front controller, else /index.php, and HTTP to the application", () => {
    const fcgi = build({ "/": { root: "pub", passthru: "/app.php" }, "/images": { root: "pub/images", passthru: true }, "/other": { passthru: true } });
    expect(directive(location(fcgi, "/images/")?.block, "try_files")).toEqual(["$uri /app.php$is_args$args"]);
    const lone = build({ "/api": { passthru: true } });
    expect(directive(location(lone, "/api/")?.block, "try_files")).toEqual(["/. /index.php$is_args$args"]);
    expect(location(lone, "=", "/index.php")?.block).toEqual([{ name: "return", args: ["404"] }]);
    expect(directive(location(lone, "/")?.block, "return")).toEqual(["404"]);
    const http = build({ "/": { passthru: true } }, { kind: "http", port: 3000 });
    expect(directive(location(http, "/")?.block, "try_files")).toEqual(["/. @app"]);
    expect(directive(location(http, "@app")?.block, "proxy_pass")).toEqual(["http://127.0.0.1:3000"]);
  });

  it("never serves .php as a file: scripts run (FastCGI, scripts: true) or the request is refused like a disallowed file", () => {
    const server = build({ "/": { root: "pub", scripts: true, passthru: "/index.php" }, "/media": { root: "pub/media", scripts: false } });
    const run = location(server, "/")!.block!.find((d) => d.name === "location" && d.args[0] === "~*")!.block!;
    expect(directive(run, "try_files")).toEqual(["$fastcgi_script_name /index.php$is_args$args"]);
    expect(directive(run, "fastcgi_pass")).toEqual(["unix:/run/app/php.sock"]);
    const refuse = location(server, "/media/")!.block!.find((d) => d.name === "location" && d.args[0] === "~*")!.block!;
    expect(refuse).toEqual([{ name: "return", args: ["404"] }]);
    const http = build({ "/": { root: "pub", scripts: true, passthru: true } }, { kind: "http", socket: "/run/app/app.sock" });
    expect(location(http, "/")!.block!.find((d) => d.name === "location" && d.args[0] === "~*")!.block).toEqual([{ name: "try_files", args: ["/.", "@app"] }]);
  });

  it("gives rules their own handling, renames their groups and keeps $1 and $name as references only in a rule's passthru", () => {
    const server = build({
      "/": {
        root: "pub",
        passthru: "/$notagroup.php",
        headers: { "X-A": "1" },
        rules: { "^/v(\\d+)/(?<host>.*)$": { passthru: "/$host?v=$1&h=$http_host" }, "\\.txt$": { headers: {} } },
      },
    });
    const root = location(server, "/")!.block!;
    expect(directive(root, "try_files")).toEqual(["$uri ${pwi_dollar}notagroup.php$is_args$args".replace("$uri ", "$uri /")]);
    const rule = location(root, "~", "^/v(\\d+)/(?<pwi_g_host>.*)$")!.block!;
    expect(directive(rule, "try_files")).toEqual(["$uri /${pwi_g_host}?v=$1&h=${pwi_dollar}http_host$pwi_and_args"]);
    expect(directive(location(root, "~", "\\.txt$")!.block, "add_header")).toEqual(["X-Pwi-None "]);
  });

  it("sets expires unless a Cache-Control header is given, and a Content-Type header as the type", () => {
    const server = build({ "/": { root: "pub", expires: "1h", rules: { "\\.bin$": { headers: { "Content-Type": "application/x-thing", "Cache-Control": "no-store" } } } } });
    const root = location(server, "/")!.block!;
    expect(directive(root, "expires")).toEqual(["3600s"]);
    const rule = location(root, "~", "\\.bin$")!.block!;
    expect(directive(rule, "expires")).toEqual(["off"]);
    expect(directive(rule, "default_type")).toEqual(["application/x-thing"]);
    expect(directive(rule, "add_header")).toEqual(["Cache-Control no-store always"]);
  });

  it("answers the server's own files 404 before any location", () => {
    const server = build({ "/": { root: "" } });
    const guard = server.find((d) => d.name === "if")!;
    expect(guard.args).toEqual(["($uri", "~", "/\\.(?:web-root|deploy-commit|router\\.json|mounts\\.json|build-complete)(?:/|$)", ")"]);
    expect(guard.block).toEqual([{ name: "return", args: ["404"] }]);
  });
});

describe("quote", () => {
  it.each([
    ["plain", "text", '"plain"'],
    ['a"b\\c', "text", '"a\\"b\\\\c"'],
    ["$host", "text", '"${pwi_dollar}host"'],
    ["$host", "literal", '"$host"'],
    ["a;b{c}#d", "text", '"a;b{c}#d"'],
    ["/$1/$name/${name}/$other/$", { groups: ["name"] }, '"/$1/${pwi_g_name}/${pwi_g_name}/${pwi_dollar}other/${pwi_dollar}"'],
  ] as const)("quotes %j (%j)", (value, mode, expected) => {
    expect(quote(value, mode)).toBe(expected);
  });

  it.each(["a\nb", "a\rb", "a\0b", "a\tb", "a\u007fb", "a\u0085b"])("refuses the control character in %j", (value) => {
    expect(() => quote(value)).toThrow(/control character/);
  });
});

describe("hostile values", () => {
  const input = (locations: Record<string, LocationConfig>): NginxConfigInput => ({ ...inputFor(GOLDEN["template-php"]!.app(), { kind: "fastcgi", socket: "/run/app/php.sock" }), locations });

  it.each(HOSTILE_VALUES)("%j adds no directive, block or comment wherever it goes, and arrives whole", (value) => {
    const hostile = parseNginxConfig(buildNginxConfig(input(hostileLocations(value))));
    const benign = parseNginxConfig(buildNginxConfig(input(hostileLocations("v"))));
    expect(shapeOf(hostile)).toEqual(shapeOf(benign));
    const literal = value.replaceAll("$", "${pwi_dollar}");
    const named = (name: string) => directivesNamed(hostile, name);
    expect(named("add_header")).toEqual(expect.arrayContaining([["X-Value", literal, "always"], [HOSTILE_HEADER_NAME, "n", "always"], ["X-Rule", literal, "always"]]));
    expect(named("default_type")).toContainEqual([value]); // the rule's Content-Type: default_type reads no variables
    expect(named("try_files").filter((a) => a.at(-1) === `/${literal}$is_args$args`)).toHaveLength(4); // passthru: location, bare .php, rule, rule's .php
    expect(named("index")).toEqual([[indexOf(value).replaceAll("$", "${pwi_dollar}")]]);
    expect(named("location")).toContainEqual(["~", literalRegex(value)]);
    if (!value.includes("$")) expect(named("root")).toEqual([[`/app/public/${value}`]]); // the schema refuses $ in a root
  });

  it("refuses a control character at the generator too (the schema's second guard)", () => {
    expect(() => buildNginxConfig(input({ "/": { root: "public", headers: { "X-A": "a\nadd_header X-B b" } } }))).toThrow(/control character/);
    expect(() => buildNginxConfig(input({ "/": { root: "a$b" } }))).toThrow(/\$/);
    expect(() => buildNginxConfig(input({ "/": { root: "../../etc" } }))).toThrow(/leaves the application/);
    expect(() => buildNginxConfig({ ...input({}), listen: '/run/a";b' })).toThrow(/absolute path/);
  });
});
