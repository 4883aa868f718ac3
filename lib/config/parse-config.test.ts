import { describe, expect, it } from "vitest";
import { projectTemplate } from "@/lib/git/template";
import { formatConfigError, parseExpires, parseProjectConfig, regexGroupNames, resolveUpstream } from "./parse-config";

const template = projectTemplate("Shop");
const files = { app: template[".magento.app.yaml"]!, services: template[".magento/services.yaml"]!, routes: template[".magento/routes.yaml"]! };

describe("parseProjectConfig", () => {
  it("reads the template", () => {
    const result = parseProjectConfig(files);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.app.name).toBe("mymagento");
    expect(result.config.app.relationships).toEqual({ database: "mysql:mysql", redis: "redis:redis", opensearch: "opensearch:opensearch" });
    expect(Object.keys(result.config.services)).toEqual(["mysql", "redis", "opensearch"]);
    expect(result.config.app.hooks.build).toContain("built-at.txt");
    expect(result.config.app.web.locations["/"]).toMatchObject({ root: "public", passthru: "/index.php" });
  });

  it("reads the template with fewer services (PROJECT_TEMPLATE_SERVICES): relationships only to those, and none at all", () => {
    const read = (t: Record<string, string>) => parseProjectConfig({ app: t[".magento.app.yaml"]!, services: t[".magento/services.yaml"]!, routes: t[".magento/routes.yaml"]! });
    const some = read(projectTemplate("Shop", ["rabbitmq", "mysql"]));
    expect(some.ok && some.config.app.relationships).toEqual({ database: "mysql:mysql", rabbitmq: "rabbitmq:rabbitmq" });
    expect(some.ok && Object.keys(some.config.services)).toEqual(["mysql", "rabbitmq"]);
    const none = read(projectTemplate("Shop", []));
    expect(none.ok && none.config.app.relationships).toEqual({});
    expect(none.ok && none.config.services).toEqual({});
    expect(none.ok && none.config.app.hooks.build).toContain("built-at.txt"); // the rest is the template's
  });

  it("refuses nested mounts, mounts outside the application and mounts at the server's own file names, at their lines", () => {
    const app = files.app.replace('  "var": "shared:files/var"\n', '  "var": "shared:files/var"\n  "var/log": "shared:files/log"\n  "../up": "shared:files/up"\n  ".router.json": "shared:files/r"\n');
    const result = parseProjectConfig({ ...files, app });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const errors = result.errors.map(formatConfigError);
    expect(errors).toContainEqual(expect.stringMatching(/^\.magento\.app\.yaml:\d+: mounts\.var\/log: the mount “var\/log” lies inside the mount “var”: mounts cannot be nested; put it beside it$/));
    expect(errors).toContainEqual(expect.stringContaining("the mount “../up” must name a folder inside the application"));
    expect(errors).toContainEqual(expect.stringContaining("“.router.json” is a file the server keeps in every deployment"));
  });

  it("reports a YAML syntax error with its line", () => {
    const result = parseProjectConfig({ ...files, services: "mysql:\n  type: mysql:10.6\n  disk: [1024\n" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ file: ".magento/services.yaml", line: expect.any(Number) });
  });

  it("refuses maps and lists nested deeper than 64 levels, at the line where they pass it, however they are written", () => {
    const tooDeep = { file: ".magento.app.yaml", message: "maps and lists are nested too deeply (more than 64 levels): flatten them" };
    const errorsOf = (app: string) => {
      const result = parseProjectConfig({ ...files, app });
      return result.ok ? undefined : result.errors;
    };
    const nested = (levels: number) => `variables:\n  env:\n${Array.from({ length: levels }, (_, i) => `${" ".repeat(2 * i + 4)}k:`).join("\n")} 1\n`;
    // `variables:` and `env:` are two levels: 62 more keys reach the limit, 63 pass it (at the 63rd key's line).
    expect(errorsOf(files.app + nested(62))).toBeUndefined();
    expect(errorsOf(files.app + nested(63))).toEqual([{ ...tooDeep, line: files.app.split("\n").length + 64 }]);
    // So deep the parser's stack ends first: the same sentence, not the stack's.
    const flow = errorsOf(`${files.app}variables:\n  env:\n    deep: ${"[".repeat(5000)}${"]".repeat(5000)}\n`);
    expect(flow?.map((e) => e.message)).toEqual([tooDeep.message]);
    // Aliases nest what they name: three anchors of 30 levels each make 90.
    const chain = ["a0: &a0 1", ...[1, 2, 3].map((i) => `a${i}: &a${i} ${"[".repeat(30)}*a${i - 1}${"]".repeat(30)}`)].map((l) => `    ${l}`).join("\n");
    expect(errorsOf(`${files.app}variables:\n  env:\n${chain}\n`)).toEqual([{ ...tooDeep, line: null }]);
  });

  it("reports an unknown service type at its line", () => {
    const result = parseProjectConfig({ ...files, services: files.services.replace("redis:7.0", "mongodb:7.0") });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatConfigError)).toContain(".magento/services.yaml:7: redis.type: unknown service type “mongodb” (known: mysql, mariadb, redis, redis-persistent, postgresql, opensearch, elasticsearch, rabbitmq, varnish, solr, memcached)");
  });

  it("refuses more than 12 services (each runs in every active environment), and takes 12", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `queue${i}:\n  type: rabbitmq:3.9\n`).join("");
    const result = parseProjectConfig({ ...files, services: many(500) });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatConfigError)).toContain(".magento/services.yaml:1: at most 12 services (this file has 500): each one runs in every active environment");
    expect(parseProjectConfig({ ...files, app: files.app.replace(/relationships:[\s\S]*?\n\n/, ""), services: many(12) }).ok).toBe(true);
  });

  it("reads crons as the platform writes them (commands or the older cmd, timeouts), timezone and operations", () => {
    const app = `${files.app.replace(/crons:[\s\S]*$/, "")}timezone: Europe/Paris
crons:
  cronrun:
    spec: "*/5 * * * *"
    commands:
      start: php bin/magento cron:run
      stop: pkill -f cron:run
    shutdown_timeout: 30
  legacy:
    spec: "H * * * *"
    cmd: echo old
operations:
  clear-cache:
    role: contributor
    commands:
      start: php bin/magento cache:flush
  reindex:
    commands:
      start: php bin/magento indexer:reindex
`;
    const result = parseProjectConfig({ ...files, app });
    expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
    if (!result.ok) return;
    expect(result.config.app.timezone).toBe("Europe/Paris");
    expect(result.config.app.crons.cronrun).toMatchObject({ spec: "*/5 * * * *", commands: { start: "php bin/magento cron:run", stop: "pkill -f cron:run" }, shutdown_timeout: 30, timeout: 86_400 });
    expect(result.config.app.crons.legacy).toMatchObject({ cmd: "echo old", shutdown_timeout: 10 });
    expect(result.config.app.operations).toMatchObject({ "clear-cache": { role: "contributor" }, reindex: { role: "admin", commands: { start: "php bin/magento indexer:reindex" } } });
    // The template's own cron reads as it is.
    const template = parseProjectConfig(files);
    expect(template.ok && template.config.app.crons.cronrun).toMatchObject({ spec: "*/5 * * * *", cmd: "echo cron" });
  });

  it("reports each bad cron, timezone and operation at its line, with what to change", () => {
    const base = files.app.replace(/crons:[\s\S]*$/, "");
    const errors = (extra: string) => {
      const result = parseProjectConfig({ ...files, app: `${base}${extra}` });
      return result.ok ? [] : result.errors.map(formatConfigError);
    };
    const at = (extra: string) => base.split("\n").length - 1 + extra.split("\n").findIndex((l) => l.includes("spec") || l.includes("timezone") || l.includes("role")) + 1;
    const six = 'crons:\n  a:\n    spec: "0 */5 * * * *"\n    cmd: x\n';
    expect(errors(six)).toEqual([`.magento.app.yaml:${at(six)}: crons.a.spec: a spec has 5 fields (minute hour day-of-month month day-of-week); “0 */5 * * * *” has 6: seconds are not supported, remove the first field`]);
    expect(errors('crons:\n  a:\n    spec: "*/0 * * * *"\n    cmd: x\n')[0]).toMatch(/crons\.a\.spec: minute: a step must be at least 1 \(“\*\/0”\)$/);
    expect(errors('crons:\n  a:\n    spec: "60 * * * *"\n    cmd: x\n')[0]).toMatch(/minute: 60 is out of range \(0–59\)$/);
    expect(errors('crons:\n  a:\n    spec: "0 0 30 2 *"\n    cmd: x\n')[0]).toMatch(/it never runs: February has no day 30$/);
    expect(errors('crons:\n  a:\n    spec: "* * * * *"\n')[0]).toMatch(/crons\.a: a cron needs commands\.start: the command it runs$/);
    expect(errors('crons:\n  a:\n    spec: "* * * * *"\n    cmd: x\n    timeout: 100000\n')[0]).toMatch(/timeout is at most 86400/);
    const zone = "timezone: Mars/Olympus_Mons\n";
    expect(errors(zone)).toEqual([`.magento.app.yaml:${at(zone)}: timezone: timezone must be a time zone this host knows, such as Europe/Paris or UTC`]);
    // A spec cron-parser cannot compute in its zone (Lord Howe Island's half-hour clock change), at its line.
    const howe = 'timezone: Australia/Lord_Howe\ncrons:\n  a:\n    spec: "* 2 * 4 0"\n    cmd: x\n';
    expect(errors(howe)).toEqual([expect.stringMatching(/^\.magento\.app\.yaml:\d+: crons\.a\.spec: its next time cannot be computed in Australia\/Lord_Howe \(Invalid expression, loop limit exceeded\): change the spec or the timezone$/)]);
    const role = "operations:\n  x:\n    role: owner\n    commands:\n      start: x\n";
    expect(errors(role)[0]).toMatch(/operations\.x\.role: role must be viewer, contributor or admin$/);
    // 500 crons in one file: capped, saying the limit.
    const many = `crons:\n${Array.from({ length: 500 }, (_, i) => `  c${i}:\n    spec: "* * * * *"\n    cmd: x\n`).join("")}`;
    expect(errors(many)).toEqual([expect.stringMatching(/^\.magento\.app\.yaml:\d+: crons: at most 50 crons \(this file has 500\): run several commands from one cron$/)]);
  });

  it("accepts redis-persistent and postgresql, with a service's size", () => {
    const services = `${files.services}cache:\n  type: redis-persistent:7.0\npg:\n  type: postgresql:15\n  disk: 512\n  size: S\n`;
    const result = parseProjectConfig({ ...files, services });
    expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
    if (!result.ok) return;
    expect(result.config.services.cache).toMatchObject({ type: "redis-persistent:7.0" });
    expect(result.config.services.pg).toMatchObject({ type: "postgresql:15", disk: 512, size: "S" });
  });

  it.each([
    ["0", "disk must be at least 1 (MB)"],
    ["-5", "disk must be at least 1 (MB)"],
    ["1e12", "disk must be at most 1000000 (MB, about 1 TB)"],
    ["1.5", "disk must be a whole number of MB"],
    ['"big"', "disk must be a number of MB"],
  ])("refuses a service's disk of %s at its line", (disk, message) => {
    const result = parseProjectConfig({ ...files, services: files.services.replace("  disk: 2048", `  disk: ${disk}`) });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatConfigError)).toContain(`.magento/services.yaml:4: mysql.disk: ${message}`);
  });

  it("refuses a service type that is not a string, at its line", () => {
    const result = parseProjectConfig({ ...files, services: files.services.replace("type: redis:7.0", "type: [redis, 7]") });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatConfigError).join("\n")).toMatch(/^\.magento\/services\.yaml:7: redis\.type: /m);
  });

  it("reports a relationship to a missing service", () => {
    const result = parseProjectConfig({ ...files, services: files.services.replace(/opensearch:\n  type: opensearch:2\n  disk: 1024\n/, "") });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatConfigError)).toContain(
      ".magento.app.yaml:8: relationships.opensearch: service “opensearch” is not defined in .magento/services.yaml",
    );
  });

  it("reports a missing file", () => {
    const result = parseProjectConfig({ ...files, routes: null });
    expect(result).toEqual({ ok: false, errors: [{ file: ".magento/routes.yaml", line: null, message: "the file is missing" }] });
  });
});

/** The template's application with its `web:` section (and anything after it up to hooks) replaced. */
function withWeb(web: string, type = "php:8.3"): typeof files {
  const app = files.app.replace(/\nweb:\n[\s\S]*?\nhooks:/, `\n${web.trimEnd()}\n\nhooks:`).replace("type: php:8.3", `type: ${type}`);
  return { ...files, app };
}
function errorsOf(input: typeof files): string[] {
  const result = parseProjectConfig(input);
  return result.ok ? [] : result.errors.map(formatConfigError);
}

const MAGENTO_WEB = `web:
  locations:
    "/":
      root: "pub"
      passthru: "/index.php"
      index:
        - index.php
      expires: -1
      scripts: true
      allow: false
      headers:
        X-Frame-Options: SAMEORIGIN
        Access-Control-Max-Age: 600
      rules:
        \\.(css|js|map|gif|jpe?g|png|ico|svgz|woff2?|ttf|html?)$:
          allow: true
        ^/sitemap(.*)\\.xml$:
          passthru: "/media/sitemap$1.xml"
      request_buffering:
        enabled: true
    "/media":
      root: "pub/media"
      allow: true
      scripts: false
      expires: 1y
      passthru: "/get.php"
    "/static":
      root: "pub/static"
      allow: true
      scripts: false
      expires: 1y
      passthru: "/front-static.php"
      rules:
        ^/static/version\\d+/(?<resource>.*)$:
          passthru: "/static/$resource"

workers:
  queue:
    commands:
      start: |
        php bin/magento queue:consumers:start async.operations.all
    size: S
    disk: 256
    mounts:
      "var/queue": "shared:files/queue"
`;

describe("web, upstream and workers", () => {
  it("reads a Magento-like web section, its rules in their order, and its workers", () => {
    const result = parseProjectConfig(withWeb(MAGENTO_WEB));
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([]);
    if (!result.ok) return;
    const { web, workers } = result.config.app;
    expect(Object.keys(web.locations)).toEqual(["/", "/media", "/static"]);
    expect(Object.keys(web.locations["/"]!.rules!)).toEqual(["\\.(css|js|map|gif|jpe?g|png|ico|svgz|woff2?|ttf|html?)$", "^/sitemap(.*)\\.xml$"]);
    expect(web.locations["/"]!.headers).toEqual({ "X-Frame-Options": "SAMEORIGIN", "Access-Control-Max-Age": "600" });
    expect(web.locations["/"]!.request_buffering).toEqual({ enabled: true });
    expect(web.locations["/static"]!.rules!["^/static/version\\d+/(?<resource>.*)$"]!.passthru).toBe("/static/$resource");
    expect(workers.queue!.commands.start).toContain("queue:consumers:start");
    expect(resolveUpstream(result.config.app)).toEqual({ protocol: "fastcgi", socketFamily: "unix" });
  });

  it("accepts a location without files (root: null) and without index (index: null)", () => {
    const result = parseProjectConfig(withWeb(`web:\n  locations:\n    "/":\n      root: null\n      index: null\n      passthru: true\n    "/files":\n      root: ""\n      index: index.html\n`));
    expect(result.ok && result.config.app.web.locations).toEqual({ "/": { root: null, index: null, passthru: true }, "/files": { root: "", index: "index.html" } });
  });

  it("defaults the upstream as the platform: PHP-FPM over a Unix socket without a start command, HTTP over TCP otherwise", () => {
    const web = (extra: string) => `web:\n${extra}  locations:\n    "/":\n      passthru: true\n`;
    const upstream = (input: typeof files) => {
      const r = parseProjectConfig(input);
      return r.ok ? resolveUpstream(r.config.app) : r.errors.map(formatConfigError);
    };
    expect(upstream(withWeb(web("")))).toEqual({ protocol: "fastcgi", socketFamily: "unix" });
    expect(upstream(withWeb(web("  commands:\n    start: php server.php\n")))).toEqual({ protocol: "http", socketFamily: "tcp" });
    expect(upstream(withWeb(web("  commands:\n    start: node server.js\n"), "nodejs:20"))).toEqual({ protocol: "http", socketFamily: "tcp" });
    expect(upstream(withWeb(web("  commands:\n    start: gunicorn app\n  upstream:\n    socket_family: unix\n"), "python:3.12"))).toEqual({ protocol: "http", socketFamily: "unix" });
  });

  it("refuses a runtime this host does not run, and upstreams it cannot connect", () => {
    expect(errorsOf({ ...files, app: files.app.replace("type: php:8.3", "type: ruby:3.3") })).toEqual([
      ".magento.app.yaml:3: type: “ruby:3.3”: this host runs php, nodejs and python applications; choose one of them",
    ]);
    const web = `web:\n  locations:\n    "/":\n      passthru: true\n`;
    expect(errorsOf(withWeb(web, "nodejs:20"))).toEqual([expect.stringMatching(/^\.magento\.app\.yaml:\d+: web: a nodejs application needs web\.commands\.start: /)]);
    expect(errorsOf(withWeb(`web:\n  commands:\n    start: node a.js\n  upstream:\n    protocol: fastcgi\n  locations:\n    "/":\n      passthru: true\n`, "nodejs:20"))).toEqual([
      expect.stringMatching(/web\.upstream\.protocol: fastcgi is for php applications; a nodejs application speaks http$/),
    ]);
    expect(errorsOf(withWeb(`web:\n  upstream:\n    socket_family: tcp\n    protocol: fastcgi\n  locations:\n    "/":\n      passthru: true\n`))).toEqual([
      expect.stringMatching(/web\.upstream\.socket_family: fastcgi is spoken over a Unix socket here/),
    ]);
    expect(errorsOf(withWeb(`web:\n  upstream:\n    socket_family: udp\n  locations:\n    "/":\n      passthru: true\n`))).toEqual([expect.stringMatching(/web\.upstream\.socket_family: socket_family is tcp or unix$/)]);
  });

  it("refuses control characters and overlong values that would reach the web server's configuration, at their lines", () => {
    const errors = errorsOf(
      withWeb(`web:
  locations:
    "/":
      root: "pub\\u0000"
      passthru: "/index.php\\nlocation / {"
      index: ["index.php", "a\\tb"]
      headers:
        X-Evil: "a\\r\\nSet-Cookie: x"
        X-Long: "${"x".repeat(5000)}"
`),
    );
    expect(errors).toEqual([
      expect.stringMatching(/^\.magento\.app\.yaml:\d+: web\.locations\.\/\.root: the value contains a NUL byte: values written into the web server's configuration are one line of printable text; remove it$/),
      expect.stringMatching(/^\.magento\.app\.yaml:\d+: web\.locations\.\/\.passthru: the value contains a line break/),
      expect.stringMatching(/web\.locations\.\/\.index\.1: the value contains a tab/),
      expect.stringMatching(/web\.locations\.\/\.headers\.X-Evil: the value contains a line break/),
      expect.stringMatching(/web\.locations\.\/\.headers\.X-Long: the value is 5000 characters long; the limit is 4096$/),
    ]);
    const lines = files.app.split("\n").length;
    expect(errors.every((e) => Number(/:(\d+):/.exec(e)?.[1]) > 0 && Number(/:(\d+):/.exec(e)?.[1]) < lines + 10)).toBe(true);
  });

  it("refuses locations that are not paths, roots outside the application and malformed passthru, expires and headers", () => {
    const errors = errorsOf(
      withWeb(`web:
  locations:
    "media":
      root: "pub/media"
    "/a":
      root: "../secrets"
    "/a/":
      root: "/etc"
    "/b/../c":
      passthru: "index.php"
    "/d":
      root: "pub/$x"
      expires: "1 hour"
    "/e":
      expires: 2.5
      headers:
        "X Frame": "a"
        Content-Length: "0"
    "/f":
      index: ["../../etc/passwd"]
`),
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/web\.locations\.media: the location “media” must be a path starting with “\/”/),
        expect.stringMatching(/web\.locations\.\/a\.root: root must name a folder inside the application: remove the “\.\.”$/),
        expect.stringMatching(/web\.locations\.\/a\/: the locations “\/a” and “\/a\/” name the same path: keep one$/),
        expect.stringMatching(/web\.locations\.\/a\/\.root: root is relative to the application/),
        expect.stringMatching(/web\.locations\.\/b\/\.\.\/c: the location “\/b\/\.\.\/c” must be a path/),
        expect.stringMatching(/web\.locations\.\/b\/\.\.\/c\.passthru: passthru is true, false or a path starting with “\/”/),
        expect.stringMatching(/web\.locations\.\/d\.root: root cannot contain “\$”/),
        expect.stringMatching(/web\.locations\.\/d\.expires: expires “1 hour” is not a duration/),
        expect.stringMatching(/web\.locations\.\/e\.expires: expires in seconds is a whole number/),
        expect.stringMatching(/web\.locations\.\/e\.headers\.X Frame: “X Frame” is not a header name/),
        expect.stringMatching(/web\.locations\.\/e\.headers\.Content-Length: Content-Length is set by the web server itself/),
        expect.stringMatching(/web\.locations\.\/f\.index\.0: an index is the name of a file in the folder/),
      ]),
    );
    expect(errors).toHaveLength(12);
  });

  it("refuses rules that are not regular expressions, PCRE-only syntax, odd group names and keys rules cannot set", () => {
    const errors = errorsOf(
      withWeb(`web:
  locations:
    "/":
      passthru: true
      rules:
        "(unclosed":
          allow: true
        "^/(?P<name>x)$":
          allow: true
        "^/(?<a_name_that_is_far_too_long_for_nginx>x)$":
          allow: true
        "\\\\.txt$":
          root: other
          passthru: "/x/$1"
`),
    );
    expect(errors).toHaveLength(4);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/web\.locations\.\/\.rules\.\(unclosed: the rule “\(unclosed” is not a regular expression \(.*\); rules are regular expressions matched against the path$/),
      expect.stringMatching(/web\.locations\.\/\.rules\.\^\/\(\?P<name>x\)\$: the rule .* is not a regular expression/),
      expect.stringMatching(/the group name “a_name_that_is_far_too_long_for_nginx” is not usable/),
      expect.stringMatching(/web\.locations\.\/\.rules\.\\\.txt\$\.root: a rule cannot set root; set it on the location$/),
    ]));
  });

  it("refuses workers with odd names, without a start command or with a NUL byte in it", () => {
    const errors = errorsOf(
      withWeb(`web:
  locations:
    "/":
      passthru: true
workers:
  "Queue!":
    commands:
      start: "run"
  empty:
    size: S
  nul:
    commands:
      start: "a\\u0000b"
`),
    );
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/workers\.Queue!: the worker name “Queue!” must be lowercase letters, digits, _ and -/),
      expect.stringMatching(/workers\.empty\.commands: a worker needs commands\.start: the command that runs it$/),
      expect.stringMatching(/workers\.nul\.commands\.start: the command contains a NUL byte: remove it$/),
    ]));
  });
});

describe("parseExpires and regexGroupNames", () => {
  it.each([
    [-1, null],
    ["-1", null],
    [0, 0],
    [300, 300],
    ["10s", 10],
    ["5m", 300],
    ["1h", 3600],
    ["30d", 2_592_000],
    ["2w", 1_209_600],
    ["3M", 7_776_000],
    ["1y", 31_536_000],
    ["1500ms", 1],
  ])("expires %s is %s seconds", (value, seconds) => {
    expect(parseExpires(value)).toEqual({ seconds });
  });

  it.each(["1 h", "1hour", "-5", "1.5h", "h", "", "99999999999y"])("refuses expires %j", (value) => {
    expect(parseExpires(value)).toEqual({ error: expect.any(String) });
  });

  it("finds named groups, not lookbehinds, escaped parentheses or classes", () => {
    expect(regexGroupNames("^/(?<a>x)(?<=y)(?<!z)\\(?<no>[(?<no2>)](?<b_2>.*)$")).toEqual(["a", "b_2"]);
  });

  it("refuses more than 16 workers, with the count", () => {
    const workers = Array.from({ length: 17 }, (_, i) => `  w${i}:\n    commands:\n      start: sleep 1\n`).join("");
    const app = projectTemplate("T")[".magento.app.yaml"]!.replace("hooks:\n", `workers:\n${workers}\nhooks:\n`);
    const result = parseProjectConfig({ app, services: projectTemplate("T")[".magento/services.yaml"]!, routes: projectTemplate("T")[".magento/routes.yaml"]! });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.message)).toContainEqual(expect.stringContaining("at most 16 workers (this file has 17)"));
  });
});
