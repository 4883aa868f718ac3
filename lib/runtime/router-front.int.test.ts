// The environment router with the host's nginx in front (router-front.ts), over real releases of
// the local driver: what takes the fast path, what the console's router still decides, the
// access log, and what hostile sandboxes and requests get.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { recordingLog } from "@/lib/runtime/testing-hooks";

process.env.APP_STOP_GRACE = "2";
process.env.APP_START_TIMEOUT = "10";
process.env.ROUTER_UPSTREAM_TIMEOUT = "2";
process.env.ROUTER_MAX_BODY_MB = "1";

const { localDriver } = await import("./driver/local-driver");
const { environmentDeployDir, routerSettingsFile } = await import("./deploy");
const { startEnvironmentRouter, stopEnvironmentRouter } = await import("./router");
const { frontPaths, buildFrontConfig } = await import("./router-front");
const { forgetRouterTarget, PAUSED_FILE } = await import("./router-targets");
const { sandboxSupport } = await import("./sandbox");
const { findProgram } = await import("./host-programs");
const { dataPaths } = await import("@/lib/paths");
const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();

const support = localDriver.support(config());
const ready = support.ok && sandboxSupport().ok && findProgram("nginx") !== null;
if (!ready) {
  if (process.env.CI || process.env.PWI_REQUIRE_SERVERS === "1") throw new Error(`PWI_REQUIRE_SERVERS=1 and the router's nginx front cannot be tested: ${support.ok ? "no nginx or no sandbox" : support.reason}`);
  console.warn(`\n\n!!! SKIPPED: the router's nginx front needs nginx, PHP-FPM and bubblewrap: ${support.ok ? "no nginx or no sandbox" : support.reason} !!!\n\n`);
}
const suite = ready ? describe : describe.skip;

function config(): ProjectConfig {
  return {
    app: { name: "app", type: "php:8.2", disk: 256, relationships: {}, mounts: {}, web: { locations: { "/": { root: "public", passthru: "/index.php" } } }, hooks: {}, crons: {} },
    services: {},
    routes: {},
  } as unknown as ProjectConfig;
}

const APP = (name: string) => ({
  "public/index.php": `<?php
if (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) === '/slow') { sleep(5); }
header('Content-Type: application/json');
echo json_encode(['site' => '${name}', 'uri' => $_SERVER['REQUEST_URI'], 'method' => $_SERVER['REQUEST_METHOD'], 'xff' => $_SERVER['HTTP_X_FORWARDED_FOR'] ?? null, 'xfh' => $_SERVER['HTTP_X_FORWARDED_HOST'] ?? null, 'client' => $_SERVER['HTTP_X_CLIENT_IP'] ?? null, 'original' => $_SERVER['HTTP_X_ORIGINAL_FORWARDED_FOR'] ?? null, 'front' => $_SERVER['HTTP_X_PWI_FRONT_CLIENT'] ?? null, 'frontError' => $_SERVER['HTTP_X_PWI_FRONT_ERROR'] ?? null, 'length' => strlen(file_get_contents('php://input'))]);`,
  "public/file.txt": `static of ${name}`,
});

const PROJECT = "front";
let seq = 0;
/** A running release of `environment` made current, with the router settings its deploy would have kept. */
async function deploy(environment: string, settings: { restrictRobots: boolean; access?: boolean }) {
  const releaseId = `r${++seq}`;
  const envDir = environmentDeployDir(PROJECT, environment);
  const dir = path.join(envDir, releaseId);
  for (const [name, content] of Object.entries(APP(environment))) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  fs.writeFileSync(routerSettingsFile(dir), JSON.stringify({ restrictRobots: settings.restrictRobots, httpAccess: settings.access ? { enabled: true, logins: [], rules: [{ address: "203.0.113.0/24", action: "allow" }, { address: "0.0.0.0/0", action: "deny" }, { address: "::/0", action: "deny" }] } : { enabled: false, logins: [], rules: [] } }));
  const log = recordingLog();
  const outcome = await localDriver.startRelease({ projectId: PROJECT, environmentName: environment, releaseId, deployDir: dir, config: config(), env: { MAGENTO_CLOUD_ENVIRONMENT: environment }, binds: [] }, log.log);
  expect(outcome, log.text()).toEqual({ ok: true });
  const current = path.join(envDir, "current");
  fs.rmSync(`${current}.new`, { force: true });
  fs.symlinkSync(dir, `${current}.new`);
  fs.renameSync(`${current}.new`, current);
  forgetRouterTarget(PROJECT, environment);
  return { releaseId, socket: localDriver.webSocket(PROJECT, environment, releaseId) };
}

/** A "release" of `environment` whose web server is this process's `handler` on the socket where the driver puts the release's. */
async function fakeRelease(environment: string, handler: http.RequestListener) {
  const releaseId = `fake${++seq}`;
  const dir = path.join(environmentDeployDir(PROJECT, environment), releaseId);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(routerSettingsFile(dir), JSON.stringify({ restrictRobots: false, httpAccess: { enabled: false, logins: [], rules: [] } }));
  const socket = localDriver.webSocket(PROJECT, environment, releaseId);
  fs.mkdirSync(path.dirname(socket), { recursive: true });
  const server = http.createServer(handler).listen(socket);
  await new Promise((r) => server.once("listening", r));
  const current = path.join(environmentDeployDir(PROJECT, environment), "current");
  fs.rmSync(current, { force: true });
  fs.symlinkSync(dir, current);
  forgetRouterTarget(PROJECT, environment);
  return { close: () => server.close() };
}

let port = 0;
function send(host: string, p = "/", options: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: p, method: options.method ?? "GET", headers: { host, ...options.headers, ...(options.body ? { "content-length": String(options.body.length) } : {}) }, agent: false, timeout: 15_000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer for ${host}${p}`)));
    req.on("error", reject);
    req.end(options.body);
  });
}
const json = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;
const waitFor = async (check: () => boolean | Promise<boolean>, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
};
const links = () => fs.readdirSync(frontPaths().links).filter((f) => !f.startsWith(".")).sort();
const accessLog = (environment: string) => {
  try {
    return fs.readFileSync(path.join(dataPaths.environmentLogs(PROJECT, environment), "access.log"), "utf8");
  } catch {
    return "";
  }
};
const errorLog = (environment: string) => {
  try {
    return fs.readFileSync(path.join(dataPaths.environmentLogs(PROJECT, environment), "error.log"), "utf8");
  } catch {
    return "";
  }
};

// The console's router asks the database only for environments without a deployment: none here.
const noDb = (async () => ({ select: () => ({ from: () => ({ where: async () => [] }) }) }) as unknown as Db) as () => Promise<Db>;

suite("the environment router with nginx in front", () => {
  const lines: string[] = [];
  beforeAll(async () => {
    port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    await startEnvironmentRouter(port, noDb, (line) => lines.push(line), { front: "nginx" });
    expect(lines.join("\n")).toContain("(nginx in front)");
  });
  afterAll(async () => {
    await stopEnvironmentRouter();
    for (const environment of ["open", "hidden", "guarded", "victim", "swapped"]) await localDriver.stopEnvironment(PROJECT, environment, "test over");
  });

  it("passes an open site straight to its release (a link made at its first request), with the forwarding headers; its access lines reach access.log", async () => {
    await deploy("open", { restrictRobots: false });
    const first = await send("open.front.localhost", "/first?x=1", { headers: { "x-forwarded-for": "198.51.100.7", "x-pwi-front-client": "6.6.6.6", "x-pwi-front-error": "504" } });
    expect(first.status).toBe(200);
    expect(json(first)).toMatchObject({ site: "open", uri: "/first?x=1", xff: "127.0.0.1", client: "127.0.0.1", xfh: "open.front.localhost", original: "198.51.100.7", front: null, frontError: null });
    expect(await waitFor(() => links().includes("front.open.open"))).toBe(true);
    expect(links()).toEqual(["front.open.open", "front.open.sock"]);
    const fast = await send("open.front.localhost", "/second", { headers: { "x-pwi-front-client": "6.6.6.6", "x-pwi-front-error": "502" } });
    expect(json(fast)).toMatchObject({ site: "open", uri: "/second", xff: "127.0.0.1", front: null, frontError: null });
    expect(fast.headers["x-content-type-options"]).toBe("nosniff");
    expect(fast.headers["x-robots-tag"]).toBeUndefined();
    expect((await send("open.front.localhost", "/file.txt")).body).toBe("static of open");
    // Both the console's line of the first and nginx's of the rest, in the router's format.
    expect(await waitFor(() => /GET \/second 200 [\d.]+ms \d+ 127\.0\.0\.1/.test(accessLog("open")) && accessLog("open").includes("GET /first?x=1 200"))).toBe(true);
    // A request body within ROUTER_MAX_BODY_MB passes; over it, 413 with the router's page.
    expect(json(await send("open.front.localhost", "/post", { method: "POST", body: Buffer.alloc(4096, 97) }))).toMatchObject({ method: "POST", length: 4096 });
    const large = await send("open.front.localhost", "/post", { method: "POST", body: Buffer.alloc(2 * 1024 * 1024, 97) });
    expect(large.status).toBe(413);
    expect(large.body).toContain("at most 1 MiB (ROUTER_MAX_BODY_MB)");
    // Made-up sites leave nothing in the spool (nginx writes only what it passed itself).
    for (let i = 0; i < 5; i++) await send(`x${i}.nonexistent${i}.localhost`, "/", { method: "POST", body: Buffer.alloc(2 * 1024 * 1024, 97) }).catch(() => undefined);
    await send("x.nonexistent.localhost", `/${'"'.repeat(4000)}`).catch(() => undefined);
    expect(fs.readdirSync(frontPaths().spool).filter((f) => f !== "front.open.log")).toEqual([]);
  });

  it("a release that answers X-Accel-* headers (its own web server replaced) is neither obeyed nor passed on", async () => {
    const raw = await fakeRelease("raw", (_req, res) => {
      res.writeHead(200, { "x-accel-redirect": "@console", "x-accel-limit-rate": "1", "content-type": "text/plain" });
      res.end("raw body");
    });
    try {
      await send("raw.front.localhost", "/"); // (the console's router passes the first and makes the link)
      expect(await waitFor(() => links().includes("front.raw.open"))).toBe(true);
      const fast = await send("raw.front.localhost", "/");
      expect(fast.body).toBe("raw body");
      expect(fast.headers["x-accel-redirect"]).toBeUndefined();
      expect(fast.headers["x-accel-limit-rate"]).toBeUndefined();
    } finally {
      raw.close();
    }
  });

  it("an environment whose link would be too long a socket path is served by the console's router", async () => {
    const long = `l${"o".repeat(98)}g`;
    await deploy(long, { restrictRobots: false });
    for (let i = 0; i < 3; i++) expect(json(await send(`${long}.front.localhost`, "/"))).toMatchObject({ site: long });
    expect(links().filter((l) => l.includes(long))).toEqual([]);
    await localDriver.stopEnvironment(PROJECT, long, "test over");
  });

  it("answers robots for a hidden site itself, and never passes a protected or paused one", async () => {
    await deploy("hidden", { restrictRobots: true });
    await send("hidden.front.localhost", "/");
    expect(await waitFor(() => links().includes("front.hidden.noindex"))).toBe(true);
    const page = await send("hidden.front.localhost", "/");
    expect(json(page)).toMatchObject({ site: "hidden" });
    expect(page.headers["x-robots-tag"]).toBe("noindex, nofollow");
    const robots = await send("hidden.front.localhost", "/robots.txt");
    expect(robots.body).toBe("User-agent: *\nDisallow: /\n");
    expect(robots.headers["x-robots-tag"]).toBe("noindex, nofollow");

    // HTTP access control (only 203.0.113.0/24): the console's router refuses, and no link is made.
    await deploy("guarded", { restrictRobots: false, access: true });
    for (let i = 0; i < 3; i++) expect((await send("guarded.front.localhost", "/")).status).toBe(403);
    await new Promise((r) => setTimeout(r, 1200)); // a sweep
    expect(links().filter((l) => l.startsWith("front.guarded."))).toEqual([]);

    // Pause: the link goes with the change, at once.
    fs.writeFileSync(path.join(environmentDeployDir(PROJECT, "hidden"), PAUSED_FILE), "now");
    forgetRouterTarget(PROJECT, "hidden");
    expect(links().filter((l) => l.startsWith("front.hidden."))).toEqual([]);
    const paused = await send("hidden.front.localhost", "/");
    expect(paused.status).toBe(503);
    expect(paused.body).toContain("is paused");
    fs.rmSync(path.join(environmentDeployDir(PROJECT, "hidden"), PAUSED_FILE));
    forgetRouterTarget(PROJECT, "hidden");
    expect(await waitFor(() => links().includes("front.hidden.noindex"))).toBe(true);
  });

  it("a deploy's switch moves the link to the new release; a socket the sandbox swapped for a link to a neighbour's is never linked", async () => {
    const before = fs.statSync(path.join(frontPaths().links, "front.open.sock")).ino;
    const next = await deploy("open", { restrictRobots: false });
    expect(await waitFor(() => fs.statSync(path.join(frontPaths().links, "front.open.sock"), { throwIfNoEntry: false })?.ino === fs.lstatSync(next.socket).ino)).toBe(true);
    expect(fs.statSync(path.join(frontPaths().links, "front.open.sock")).ino).not.toBe(before);

    const victim = await deploy("victim", { restrictRobots: false, access: true });
    const swapped = await deploy("swapped", { restrictRobots: false });
    // What a hostile application can do inside its socket folder: its web.sock becomes a link to another site's socket.
    fs.renameSync(swapped.socket, `${swapped.socket}.own`);
    fs.symlinkSync(victim.socket, swapped.socket);
    forgetRouterTarget(PROJECT, "swapped");
    const answer = await send("swapped.front.localhost", "/");
    expect(answer.body).not.toContain('"site":"victim"');
    expect(answer.status).toBe(502);
    await new Promise((r) => setTimeout(r, 1200));
    expect(links().filter((l) => l.startsWith("front.swapped."))).toEqual([]);
    expect(fs.readdirSync(frontPaths().links).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("no answer in time: the console's router answers 504 and writes error.log, on the fast path too; hostile host names reach no site", async () => {
    // A release whose web server takes connections and never answers (a socket of this process where the driver puts the release's).
    const releaseId = "mute1";
    const dir = path.join(environmentDeployDir(PROJECT, "mute"), releaseId);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(routerSettingsFile(dir), JSON.stringify({ restrictRobots: false, httpAccess: { enabled: false, logins: [], rules: [] } }));
    const socket = localDriver.webSocket(PROJECT, "mute", releaseId);
    fs.mkdirSync(path.dirname(socket), { recursive: true });
    const held: net.Socket[] = [];
    const mute = net.createServer((c) => void held.push(c)).listen(socket);
    await new Promise((r) => mute.once("listening", r));
    fs.symlinkSync(dir, path.join(environmentDeployDir(PROJECT, "mute"), "current"));
    forgetRouterTarget(PROJECT, "mute");
    try {
      const first = await send("mute.front.localhost", "/one"); // the console's router passes it (no link yet)
      expect(first.status).toBe(504);
      expect(await waitFor(() => links().includes("front.mute.open"))).toBe(true);
      const fast = await send("mute.front.localhost", "/two"); // nginx passes it, then gives up
      expect(fast.status).toBe(504);
      expect(fast.body).toContain("took too long");
      expect(await waitFor(() => errorLog("mute").includes("GET /one: no answer within 2 s") && errorLog("mute").includes("GET /two: no answer within 2 s")), errorLog("mute")).toBe(true);
    } finally {
      for (const c of held) c.destroy();
      mute.close();
    }
    for (const host of ["../../etc.front.localhost", "open.front.localhost.evil", "OPEN.FRONT.LOCALHOST", `${"a".repeat(300)}.front.localhost`, "open..front.localhost", "open.front.localhost:1/../x", ""]) {
      const r = await send(host, "/");
      if (host === "OPEN.FRONT.LOCALHOST") expect(json(r)).toMatchObject({ site: "open" });
      else expect(r.body).not.toContain('"site"');
    }
  });

  it("nginx that dies is started again; its configuration passes nginx -t and refuses a folder it would have to quote", async () => {
    const pid = Number(fs.readFileSync(path.join(frontPaths().root, "nginx.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    expect(await waitFor(async () => (await send("open.front.localhost", "/").catch(() => ({ status: 0 }))).status === 200, 10_000)).toBe(true);
    // Started again, not answered by what was left of the killed one: no process of it outlives it.
    expect(Number(fs.readFileSync(path.join(frontPaths().root, "nginx.pid"), "utf8"))).not.toBe(pid);
    const orphans = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("nginx: worker") && fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === "1";
      } catch {
        return false;
      }
    });
    expect(orphans).toEqual([]);
    expect(() => buildFrontConfig({ root: "/tmp/a b", links: "/x", spool: "/y", nodeSocket: "/z" }, { port: 1, trustProxy: false, maxBodyMb: 1, upstreamTimeoutS: 1, ipv6: false, asRoot: false })).toThrow(/quoted/);
    expect(() => buildFrontConfig({ root: "/tmp/a;b", links: "/x", spool: "/y", nodeSocket: "/z" }, { port: 1, trustProxy: false, maxBodyMb: 1, upstreamTimeoutS: 1, ipv6: false, asRoot: false })).toThrow(/quoted/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-front-t-"));
    const paths = { root: dir, links: `${dir}/links`, spool: `${dir}/spool`, nodeSocket: `${dir}/console.sock` };
    fs.mkdirSync(`${dir}/tmp`);
    fs.writeFileSync(`${dir}/nginx.conf`, buildFrontConfig(paths, { port: 1, trustProxy: true, maxBodyMb: 64, upstreamTimeoutS: 60, ipv6: false, asRoot: process.getuid?.() === 0 }));
    const { spawnSync } = await import("node:child_process");
    const test = spawnSync(findProgram("nginx")!, ["-t", "-p", dir, "-c", `${dir}/nginx.conf`], { encoding: "utf8" });
    expect(test.stderr).toContain("syntax is ok");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
