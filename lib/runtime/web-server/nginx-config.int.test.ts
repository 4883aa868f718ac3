import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocationConfig } from "@/lib/config/parse-config";
import { buildNginxConfig, type NginxConfigInput } from "./nginx-config";
import { buildPhpFpmConfig } from "./php-fpm-config";
import { probeHost } from "./runtime-types";
import { HOSTILE_VALUES, hostileLocations } from "./testing-hostile";
import { GOLDEN, inputFor } from "./testing-web-configs";

// The generated configurations as nginx and PHP-FPM read them: `nginx -t` on every golden and
// hostile file, then real servers on Unix sockets answering requests. Skipped, and said loudly,
// where nginx or php-fpm is not installed (Debian: apt-get install nginx php-fpm).
const host = probeHost();
const nginx = host.nginx?.path ?? null;
const phpFpm = host.phpFpm[0]?.path ?? null;
if ((!nginx || !phpFpm) && (process.env.CI || process.env.PWI_REQUIRE_SERVERS === "1")) throw new Error("PWI_REQUIRE_SERVERS=1 and nginx or php-fpm is not installed");
if (!nginx) console.warn("[web server] NGINX TESTS SKIPPED: nginx is not installed (Debian: apt-get install nginx)");
if (!phpFpm) console.warn("[web server] PHP-FPM TESTS SKIPPED: php-fpm is not installed (Debian: apt-get install php-fpm)");
const withNginx = nginx ? describe : describe.skip;
const withPhpFpm = nginx && phpFpm ? describe : describe.skip;
// Run as root (a container), nginx's workers would become "nobody" and PHP-FPM refuses root
// without -R: the tests keep both as the user running them, as the sandbox will.
const asRoot = process.getuid?.() === 0;

const started: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(
    started.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
});

/** A fresh folder under this file's DATA_DIR (short: Unix socket paths are at most 107 bytes). */
const tempDir = (name: string) => fs.mkdtempSync(path.join(process.env.DATA_DIR!, `${name}-`));

function writeFiles(root: string, files: Record<string, string>) {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
}

/** `nginx -t` on `conf`: its status and what it said. */
function nginxTest(conf: string, dir: string): { status: number | null; output: string } {
  const file = path.join(dir, "nginx.conf");
  fs.writeFileSync(file, conf);
  const run = spawnSync(nginx!, ["-t", "-p", dir, "-c", file, "-e", "stderr", ...(asRoot ? ["-g", "user root;"] : [])], { encoding: "utf8", timeout: 20_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Starts nginx on `input` (listening on input.listen) and waits until it answers. */
async function startNginx(input: NginxConfigInput): Promise<void> {
  const file = path.join(input.tempDir, "nginx.conf");
  fs.writeFileSync(file, buildNginxConfig(input));
  const child = spawn(nginx!, ["-p", input.tempDir, "-c", file, "-e", "stderr", "-g", `daemon off;${asRoot ? " user root;" : ""}`], { stdio: ["ignore", "ignore", "pipe"] });
  started.push(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await waitFor(input.listen, () => `nginx did not start: ${stderr}`);
}

async function waitFor(socket: string, why: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(socket)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(why());
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A GET through the Unix socket, as the environment router sends it. */
function get(socketPath: string, urlPath: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, headers: { host: "shop.example", ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

withNginx("nginx -t", () => {
  it.each(Object.keys(GOLDEN))("accepts the %s configuration", (name) => {
    const dir = tempDir("t");
    const { app, upstream } = GOLDEN[name]!;
    const result = nginxTest(buildNginxConfig(inputFor(app(), upstream, { tempDir: dir, listen: path.join(dir, "web.sock") })), dir);
    expect(result.output).toContain("test is successful");
    expect(result.status).toBe(0);
  });

  it.each(HOSTILE_VALUES)("accepts the configuration carrying %j everywhere", (value) => {
    const dir = tempDir("t");
    const input: NginxConfigInput = { ...inputFor(GOLDEN["template-php"]!.app(), { kind: "fastcgi", socket: "/run/app/php.sock" }, { tempDir: dir, listen: path.join(dir, "web.sock") }), locations: hostileLocations(value) };
    const result = nginxTest(buildNginxConfig(input), dir);
    expect(result.output).toContain("test is successful");
  });
});

withNginx("nginx and links the application's files or processes made", () => {
  it("follows none: a root that is a link out of the application, a link to a file outside, a link to the server's own files", async () => {
    const dir = tempDir("l");
    const app = path.join(dir, "app");
    const outside = path.join(dir, "outside");
    writeFiles(outside, { "secret.txt": "OUTSIDE SECRET", "index.html": "OUTSIDE INDEX" });
    writeFiles(app, { "public/ok.txt": "OK", ".router.json": '{"passwordHash":"x"}' });
    fs.symlinkSync(outside, path.join(app, "linked-root")); // a location root that is a link
    fs.symlinkSync(path.join(outside, "secret.txt"), path.join(app, "public", "leak.txt"));
    fs.symlinkSync("../.router.json", path.join(app, "public", "router.txt"));
    fs.symlinkSync("../../outside", path.join(app, "public", "up")); // ../ through a link folder
    const socket = path.join(dir, "web.sock");
    const locations: Record<string, LocationConfig> = { "/": { root: "public", passthru: false }, "/linked": { root: "linked-root", index: ["index.html"], passthru: false } };
    await startNginx({ appDir: app, listen: socket, tempDir: dir, mimeTypes: null, upstream: { kind: "http", port: 1 }, locations, maxBodyBytes: 1024, upstreamTimeoutSeconds: 5 });
    expect(await get(socket, "/ok.txt")).toMatchObject({ status: 200, body: "OK" });
    for (const p of ["/leak.txt", "/router.txt", "/up/secret.txt", "/linked/secret.txt", "/linked/", "/%2e%2e/outside/secret.txt"]) {
      const res = await get(socket, p);
      expect(res.status, p).not.toBe(200);
      expect(res.body, p).not.toMatch(/OUTSIDE|passwordHash/);
    }
  });
});

withNginx("nginx serving an application's static files", () => {
  let socket: string;
  beforeAll(async () => {
    const dir = tempDir("s");
    const app = path.join(dir, "app");
    writeFiles(app, {
      ".router.json": '{"secret":"app"}',
      "public/.router.json": '{"secret":"public"}',
      "public/index.html": "INDEX",
      "public/a.txt": "A",
      "public/style.css": "body {}",
      "public/secret.php": "<?php echo 'SECRET'; ?>",
      "public/Upper.PHP": "<?php echo 'UPPER'; ?>",
      "public/media-files/x.jpg": "JPG",
      "public/manual/index.html": "MANUAL",
      "public/manual/page.html": "PAGE",
    });
    const locations: Record<string, LocationConfig> = {
      "/": {
        root: "public",
        passthru: "/index.html",
        index: ["index.html"],
        scripts: false,
        headers: { "X-Literal": "$host", "X-Semi": "a; add_header X-Injected yes", "X-Quote": 'say "hi" \\ #not a comment' },
        rules: { "\\.css$": { expires: "1h" }, "^/v\\d+/(?<rest>.*)$": { passthru: "/$rest" }, "^/old/(.*)$": { passthru: "/$1" } },
      },
      "/media": { root: "public/media-files", expires: "1y", passthru: false },
      "/docs": { root: "public/manual", index: ["index.html"], passthru: "/docs/index.html" },
    };
    socket = path.join(dir, "web.sock");
    await startNginx({ appDir: app, listen: socket, tempDir: dir, mimeTypes: null, upstream: { kind: "fastcgi", socket: path.join(dir, "php.sock") }, locations, maxBodyBytes: 1024, upstreamTimeoutSeconds: 5 });
  });

  it("sends a header value with $ literally, and a value with ; as one header", async () => {
    const res = await get(socket, "/a.txt");
    expect(res).toMatchObject({ status: 200, body: "A" });
    expect(res.headers["x-literal"]).toBe("$host");
    expect(res.headers["x-semi"]).toBe("a; add_header X-Injected yes");
    expect(res.headers["x-quote"]).toBe('say "hi" \\ #not a comment');
    expect(res.headers["x-injected"]).toBeUndefined();
  });

  it("never serves a .php file's source with scripts: false (the passthru answers)", async () => {
    for (const p of ["/secret.php", "/Upper.PHP", "/secret.php/x", "/index.html/../secret.php"]) {
      const res = await get(socket, p);
      expect(res.body, p).not.toMatch(/<\?php|SECRET|UPPER/);
      expect(res.body, p).toBe("INDEX");
    }
  });

  it("denies the server's own files wherever they are asked for", async () => {
    for (const p of ["/.router.json", "/media/.router.json", "/%2Erouter.json", "/.router.json/", "/sub/.web-root"]) {
      const res = await get(socket, p);
      expect(res.status, p).toBe(404);
      expect(res.body, p).not.toContain("secret");
    }
  });

  it("passes unknown paths through to /index.html, and serves a folder its index", async () => {
    expect(await get(socket, "/no/such/page?q=1")).toMatchObject({ status: 200, body: "INDEX" });
    expect(await get(socket, "/")).toMatchObject({ status: 200, body: "INDEX" });
  });

  it("turns expires into Cache-Control, in rules and in locations mapped onto their roots", async () => {
    const css = await get(socket, "/style.css");
    expect(css.headers["cache-control"]).toBe("max-age=3600");
    expect(css.headers["x-literal"]).toBe("$host");
    const jpg = await get(socket, "/media/x.jpg");
    expect(jpg).toMatchObject({ status: 200, body: "JPG" });
    expect(jpg.headers["cache-control"]).toBe("max-age=31536000");
    const sibling = await get(socket, "/media-files/x.jpg");
    expect(sibling).toMatchObject({ status: 200, body: "JPG" });
    expect(sibling.headers["cache-control"]).toBeUndefined();
    expect((await get(socket, "/media/missing.jpg")).status).toBe(404);
    expect((await get(socket, "/media")).status).toBe(404);
  });

  it("maps a location onto a folder that does not end with its path, its passthru included", async () => {
    expect(await get(socket, "/docs/page.html")).toMatchObject({ status: 200, body: "PAGE" });
    expect(await get(socket, "/docs/")).toMatchObject({ status: 200, body: "MANUAL" });
    const bare = await get(socket, "/docs?x=1");
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe("/docs/?x=1");
    expect(await get(socket, "/docs/no/such/page")).toMatchObject({ status: 200, body: "MANUAL" });
    expect(await get(socket, "/docsx")).toMatchObject({ status: 200, body: "INDEX" });
  });

  it("rewrites through a rule's passthru with a named group and with $1", async () => {
    expect(await get(socket, "/v12/a.txt")).toMatchObject({ status: 200, body: "A" });
    expect(await get(socket, "/old/a.txt")).toMatchObject({ status: 200, body: "A" });
  });
});

withPhpFpm("nginx and PHP-FPM together", () => {
  let socket: string;
  let fpmConf: string;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir("p");
    const app = path.join(dir, "app");
    const show = `<?php echo "%s PHP ", PHP_VERSION, " env=", getenv("PWI_TEST_VAR"), " uri=", $_SERVER["REQUEST_URI"], " pi=", $_SERVER["PATH_INFO"] ?? "", " q=", $_GET["q"] ?? "", " https=", $_SERVER["HTTPS"] ?? "", " addr=", $_SERVER["REMOTE_ADDR"], " file=", $_SERVER["SCRIPT_FILENAME"];`;
    writeFiles(app, {
      "pub/index.php": show.replace("%s", "INDEX"),
      "pub/upload.jpg": "<?php echo 'JPG-RAN';",
      "pub/style.css": "body {}",
      "pub/hidden.txt": "HIDDEN",
      "pub/media/get.php": show.replace("%s", "GET"),
      "pub/media/other.php": "<?php echo 'OTHER-RAN';",
      "pub/media/photo.jpg": "PHOTO",
    });
    const locations: Record<string, LocationConfig> = {
      "/": { root: "pub", passthru: "/index.php", index: ["index.php"], scripts: true, allow: false, rules: { "\\.css$": { allow: true } } },
      "/media": { root: "pub/media", scripts: false, passthru: "/media/get.php", expires: "1h" },
    };
    const fpmSocket = path.join(dir, "php.sock");
    fpmConf = path.join(dir, "php-fpm.conf");
    fs.writeFileSync(fpmConf, buildPhpFpmConfig({ listen: fpmSocket, pidFile: path.join(dir, "php-fpm.pid"), maxChildren: 2, memoryLimitMb: 64 }));
    // Its stderr is a file, as a driver's log would be: error_log = /proc/self/fd/2 cannot be
    // opened on a socket, and Node's stdio "pipe" is a socketpair.
    const log = path.join(dir, "php-fpm.log");
    const logFd = fs.openSync(log, "a");
    const fpm = spawn(phpFpm!, ["-F", "-y", fpmConf, "-p", dir, ...(asRoot ? ["-R"] : [])], { stdio: ["ignore", "ignore", logFd], env: { PATH: "/usr/bin:/bin", PWI_TEST_VAR: "hello" } as unknown as NodeJS.ProcessEnv });
    fs.closeSync(logFd);
    started.push(fpm);
    await waitFor(fpmSocket, () => `php-fpm did not start: ${fs.readFileSync(log, "utf8")}`);
    socket = path.join(dir, "web.sock");
    await startNginx({ appDir: app, listen: socket, tempDir: dir, mimeTypes: null, upstream: { kind: "fastcgi", socket: fpmSocket }, locations, maxBodyBytes: 1024 * 1024, upstreamTimeoutSeconds: 10 });
  });

  it("accepts the PHP-FPM configuration (php-fpm -t)", () => {
    const log = path.join(dir, "php-fpm-t.log");
    const logFd = fs.openSync(log, "w");
    const run = spawnSync(phpFpm!, ["-t", "-y", fpmConf, "-p", dir, ...(asRoot ? ["-R"] : [])], { stdio: ["ignore", logFd, logFd], timeout: 20_000 });
    fs.closeSync(logFd);
    expect(fs.readFileSync(log, "utf8")).toContain("test is successful");
    expect(run.status).toBe(0);
  });

  it("runs the front controller for / and for unknown paths, with the query string, the environment and the client's address", async () => {
    const root = await get(socket, "/?q=1", { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" });
    expect(root.status).toBe(200);
    expect(root.body).toMatch(/^INDEX PHP 8\.\d+\.\d+ env=hello uri=\/\?q=1 pi= q=1 https=on addr=203\.0\.113\.7 file=.*\/pub\/index\.php$/);
    expect((await get(socket, "/catalog/shoes?q=2")).body).toMatch(/^INDEX .* uri=\/catalog\/shoes\?q=2 pi= q=2 https= addr=/);
    expect((await get(socket, "/index.php/admin/x")).body).toMatch(/^INDEX .* pi=\/admin\/x /);
  });

  it("never runs a file that is not a .php script, nor serves what allow: false refuses", async () => {
    const res = await get(socket, "/upload.jpg/x.php");
    expect(res.body).not.toContain("JPG-RAN");
    expect(res.body).toMatch(/^INDEX /);
    expect((await get(socket, "/hidden.txt")).body).toMatch(/^INDEX .* uri=\/hidden\.txt /);
    expect(await get(socket, "/style.css")).toMatchObject({ status: 200, body: "body {}" });
  });

  it("runs a passthru script where scripts: false, and no other script there", async () => {
    const missing = await get(socket, "/media/missing.jpg?q=3");
    expect(missing.body).toMatch(/^GET .* uri=\/media\/missing\.jpg\?q=3 .* q=3 .*file=.*\/pub\/media\/get\.php$/);
    expect(missing.headers["cache-control"]).toBeUndefined();
    const other = await get(socket, "/media/other.php");
    expect(other.body).not.toMatch(/OTHER-RAN|<\?php/);
    expect(other.body).toMatch(/^GET /);
    const photo = await get(socket, "/media/photo.jpg");
    expect(photo).toMatchObject({ status: 200, body: "PHOTO" });
    expect(photo.headers["cache-control"]).toBe("max-age=3600");
  });
});
