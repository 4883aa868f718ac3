// The local sandbox driver with real nginx, PHP-FPM and Node processes in bubblewrap: what runs,
// how it is supervised and stopped, and what hostile applications get.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import type { ProjectConfig } from "@/lib/config/parse-config";
import type { ReleaseServices } from "./runtime-driver";
import { recordingLog } from "@/lib/runtime/testing-hooks";

process.env.APP_STOP_GRACE = "2";
process.env.APP_START_TIMEOUT = "4";
process.env.APP_MEMORY_MB = "96";
process.env.APP_MAX_PROCESSES = "64";
process.env.ROUTER_MAX_RESPONSE_MB = "1";
process.env.ROUTER_UPSTREAM_TIMEOUT = "3";

const { localDriver } = await import("./local-driver");
const { environmentDeployDir } = await import("@/lib/runtime/deploy");
const { createEnvironmentRouter } = await import("@/lib/runtime/router");
const { sandboxSupport } = await import("@/lib/runtime/sandbox");
const { dataPaths } = await import("@/lib/paths");

const support = localDriver.support(config({ type: "php:8.2" }));
const node = fs.existsSync("/usr/bin/node") || fs.existsSync("/usr/local/bin/node");
if (!support.ok) {
  // CI installs nginx, PHP-FPM and bubblewrap: there a missing one is a failure, not a skip.
  if (process.env.CI || process.env.PWI_REQUIRE_SERVERS === "1") throw new Error(`PWI_REQUIRE_SERVERS=1 and the local driver cannot run applications: ${support.reason}`);
  console.warn(`\n\n!!! SKIPPED: the local driver cannot run applications here: ${support.reason} !!!\n\n`);
}
const suite = support.ok && sandboxSupport().ok ? describe : describe.skip;

function config(app: { type?: string; web?: Record<string, unknown>; workers?: Record<string, unknown> }): ProjectConfig {
  return {
    app: { name: "app", type: app.type ?? "php:8.2", disk: 256, relationships: {}, mounts: { var: "shared:files/var" }, web: { locations: { "/": { root: "public", passthru: (app.type ?? "php").startsWith("php") ? "/index.php" : true } }, ...app.web }, hooks: {}, crons: {}, ...(app.workers ? { workers: app.workers } : {}) },
    services: {},
    routes: {},
  } as unknown as ProjectConfig;
}

let seq = 0;
/** A deployment folder with `files`, a var mount, and its `current` link (as a deploy leaves it). */
function deployment(project: string, environment: string, files: Record<string, string>) {
  const releaseId = `r${++seq}`;
  const envDir = environmentDeployDir(project, environment);
  const dir = path.join(envDir, releaseId);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  fs.mkdirSync(path.join(dir, "var"), { recursive: true });
  const volume = fs.mkdtempSync(path.join(process.env.DATA_DIR!, "test-var-"));
  return { releaseId, dir, binds: [{ source: volume, dest: "/app/var" }], makeCurrent: () => { fs.rmSync(path.join(envDir, "current"), { force: true }); fs.symlinkSync(dir, path.join(envDir, "current")); } };
}

async function start(project: string, environment: string, cfg: ProjectConfig, files: Record<string, string>, env: Record<string, string> = {}, services?: ReleaseServices) {
  const d = deployment(project, environment, files);
  const log = recordingLog();
  const outcome = await localDriver.startRelease({ projectId: project, environmentName: environment, releaseId: d.releaseId, deployDir: d.dir, config: cfg, env: { MAGENTO_CLOUD_ENVIRONMENT: environment, ...env }, binds: d.binds }, log.log, undefined, services);
  if (outcome.ok) d.makeCurrent();
  return { ...d, outcome, log };
}

function request(socketPath: string, p = "/"): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: p, headers: { host: "x" }, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${socketPath}${p} within 10 s`)));
    req.on("error", reject);
  });
}

/** An application log's text ("" until it exists: lines reach the file within ~20 ms). */
const appLog = (project: string, environment: string, name: string) => {
  try {
    return fs.readFileSync(path.join(dataPaths.environmentLogs(project, environment), `${name}.log`), "utf8");
  } catch {
    return "";
  }
};
/** Whether an application log comes to hold `pattern` within 3 s. */
const logHas = (project: string, environment: string, name: string, pattern: string | RegExp) => waitFor(() => (typeof pattern === "string" ? appLog(project, environment, name).includes(pattern) : pattern.test(appLog(project, environment, name))), 3000);
const waitFor = async (check: () => boolean | Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
};

const PHP_APP = {
  "public/index.php": `<?php
if (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) === '/health') { echo "ok"; exit; }
$n = (int) @file_get_contents(__DIR__ . '/../var/n') + 1; file_put_contents(__DIR__ . '/../var/n', $n);
error_log("visit $n");
echo "PHP ", PHP_VERSION, " env=", getenv('MAGENTO_CLOUD_ENVIRONMENT'), " visits=$n";`,
  "public/static.txt": "static",
  "public/source.php.txt": "x",
};
const NODE_SERVER = (listen: string) => `require("http").createServer((q, s) => s.end("node " + q.url + " " + (process.env.PORT || process.env.SOCKET))).listen(${listen})`;

const projects: [string, string][] = [];
afterAll(async () => {
  for (const [p, e] of projects) await localDriver.stopEnvironment(p, e, "test over");
});

suite("the local sandbox driver", () => {
  it("runs a PHP application behind nginx: PHP renders, the mount is writable, /app is not, logs are written", async () => {
    projects.push(["drv", "php"]);
    const r = await start("drv", "php", config({ type: "php:8.3" }), PHP_APP);
    expect(r.outcome, r.log.text()).toEqual({ ok: true });
    expect(r.log.text()).toMatch(/Starting the application: PHP \d+\.\d+(\.\d+)? \(PHP-FPM\) behind nginx/);
    const socket = localDriver.webSocket("drv", "php", r.releaseId);
    const first = await request(socket, "/");
    expect(first.body).toMatch(/^PHP \d+\.\d+\.\d+ env=php visits=\d+$/); // (the start check asked once)
    const visits = Number(/visits=(\d+)/.exec(first.body)![1]);
    expect((await request(socket, "/anything")).body).toContain(`visits=${visits + 1}`);
    expect((await request(socket, "/static.txt")).body).toBe("static");
    expect((await request(socket, "/health")).body).toBe("ok");
    await waitFor(() => appLog("drv", "php", "app").includes(`visit ${visits + 1}`), 2000);
    expect(await logHas("drv", "php", "app", `visit ${visits + 1}`)).toBe(true);
    const status = localDriver.environmentStatus("drv", "php")!;
    expect(status).toMatchObject({ releaseId: r.releaseId, state: "running" });
    expect(status.processes[0]!.pssBytes).toBeGreaterThan(1024 * 1024);
  });

  it.runIf(node)("runs web.commands.start on $PORT and on $SOCKET, and workers beside it", async () => {
    projects.push(["drv", "tcp"], ["drv", "unix"]);
    const tcp = await start("drv", "tcp", config({ type: "nodejs:20", web: { commands: { start: `node -e '${NODE_SERVER("process.env.PORT")}'` } }, workers: { queue: { commands: { start: "echo worker $MAGENTO_CLOUD_ENVIRONMENT started; exec sleep 1000" } } } }), { "public/.keep": "" });
    expect(tcp.outcome, tcp.log.text()).toEqual({ ok: true });
    expect((await request(localDriver.webSocket("drv", "tcp", tcp.releaseId), "/x?y=1")).body).toBe("node /x?y=1 8888");
    await waitFor(() => fs.existsSync(path.join(dataPaths.environmentLogs("drv", "tcp"), "worker-queue.log")) && appLog("drv", "tcp", "worker-queue").includes("worker tcp started"), 3000);
    expect(await logHas("drv", "tcp", "worker-queue", "worker tcp started")).toBe(true);
    expect(localDriver.environmentStatus("drv", "tcp")!.processes.map((p) => [p.name, p.state])).toEqual([["web", "running"], ["worker:queue", "running"]]);

    const unix = await start("drv", "unix", config({ type: "nodejs:20", web: { commands: { start: `node -e '${NODE_SERVER("process.env.SOCKET")}'` }, upstream: { socket_family: "unix" } } }), { "public/.keep": "" });
    expect(unix.outcome, unix.log.text()).toEqual({ ok: true });
    expect((await request(localDriver.webSocket("drv", "unix", unix.releaseId), "/u")).body).toBe("node /u /run/app/app.sock");
  });

  it("starts the application again when it is killed, within a second, and says so in app.log", async () => {
    projects.push(["drv", "kill"]);
    const r = await start("drv", "kill", config({}), PHP_APP);
    expect(r.outcome).toEqual({ ok: true });
    const socket = localDriver.webSocket("drv", "kill", r.releaseId);
    const fpm = localDriver.environmentStatus("drv", "kill")!;
    expect(fpm.processes[0]!.restarts).toBe(0);
    // Kill PHP-FPM's master (the application) from outside.
    // PHP-FPM's master of this release: its sandbox's bubblewrap (two processes up) names the deployment.
    const parentOf = (pid: string) => { const st = fs.readFileSync(`/proc/${pid}/stat`, "utf8"); return st.slice(st.lastIndexOf(")") + 2).split(" ")[1]!; };
    const pids = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("php-fpm: master") && fs.readFileSync(`/proc/${parentOf(parentOf(p))}/cmdline`, "utf8").includes(r.dir);
      } catch {
        return false;
      }
    });
    expect(pids.length).toBe(1);
    const killed = Date.now();
    process.kill(Number(pids[0]), "SIGKILL");
    expect(await waitFor(async () => (await request(socket, "/health").catch(() => ({ body: "" }))).body === "ok" && localDriver.environmentStatus("drv", "kill")!.processes[0]!.restarts === 1, 3000)).toBe(true);
    const back = Date.now() - killed;
    expect(back).toBeLessThan(3000);
    expect(await logHas("drv", "kill", "app", /PHP-FPM exited with code \d+|killed/)).toBe(true);
    expect(await logHas("drv", "kill", "app", /starting it again in 0\.1 s/)).toBe(true);
  });

  it("a start command that exits at once fails the start, with its output; one that never answers fails after APP_START_TIMEOUT", async () => {
    projects.push(["drv", "crash"], ["drv", "mute"]);
    const crash = await start("drv", "crash", config({ type: "nodejs:20", web: { commands: { start: "echo 'cannot connect to the database' >&2; exit 1" } } }), { "public/.keep": "" });
    expect(crash.outcome).toMatchObject({ ok: false, message: expect.stringContaining("stopped while starting (exit code 1)") });
    expect(await logHas("drv", "crash", "app", "cannot connect to the database")).toBe(true);
    expect(localDriver.environmentStatus("drv", "crash")).toBeNull();

    const mute = await start("drv", "mute", config({ type: "nodejs:20", web: { commands: { start: "exec sleep 1000" } } }), { "public/.keep": "" });
    expect(mute.outcome).toMatchObject({ ok: false, message: expect.stringContaining("did not answer within 4 s") });
    expect(localDriver.environmentStatus("drv", "mute")).toBeNull();
  });

  it.runIf(node)("a running application that keeps exiting goes into a crash loop, shown in its status", async () => {
    projects.push(["drv", "loop"]);
    // Serves once started, then exits after its first answer: every later start exits within a second.
    const server = `const fs=require("fs");const first=!fs.existsSync("/app/var/started");fs.writeFileSync("/app/var/started","");require("http").createServer((q,s)=>s.end("up")).listen(process.env.PORT);if(!first)setTimeout(()=>process.exit(2),50)`;
    const r = await start("drv", "loop", config({ type: "nodejs:20", web: { commands: { start: `node -e '${server}'` } } }), { "public/.keep": "" });
    expect(r.outcome, r.log.text()).toEqual({ ok: true });
    const pid = localDriver.environmentStatus("drv", "loop")!;
    expect(pid.state).toBe("running");
    // Stop the first process: from now on each start exits at once.
    for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
      try {
        if (fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("/app/var/started")) process.kill(Number(p), "SIGTERM");
      } catch {
        /* gone */
      }
    }
    expect(await waitFor(() => localDriver.environmentStatus("drv", "loop")?.state === "crash-loop", 10_000)).toBe(true);
    expect(await logHas("drv", "loop", "app", "it is in a crash loop")).toBe(true);
  }, 20_000);

  it.runIf(node)("stops with SIGTERM, kills after APP_STOP_GRACE one that ignores it, and nothing survives", async () => {
    projects.push(["drv", "stubborn"]);
    const server = `process.on("SIGTERM",()=>console.log("ignoring SIGTERM"));require("http").createServer((q,s)=>s.end("stubborn")).listen(process.env.PORT)`;
    const r = await start("drv", "stubborn", config({ type: "nodejs:20", web: { commands: { start: `node -e '${server}' stubborn-marker` } } }), { "public/.keep": "" });
    expect(r.outcome, r.log.text()).toEqual({ ok: true });
    const before = localDriver.environmentStatus("drv", "stubborn")!.processes[0]!.processes;
    expect(before).toBeGreaterThan(2);
    const t = Date.now();
    await localDriver.stopEnvironment("drv", "stubborn", "Stopping for the test.");
    expect(Date.now() - t).toBeGreaterThanOrEqual(1900);
    expect(await logHas("drv", "stubborn", "app", "ignoring SIGTERM")).toBe(true);
    expect(await logHas("drv", "stubborn", "app", /did not stop within 2 s of SIGTERM; killed/)).toBe(true);
    const left = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("stubborn-marker");
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
    expect(localDriver.environmentStatus("drv", "stubborn")).toBeNull();
  });

  it.runIf(node)("hostile applications: a fork bomb, a memory eater, 1 GB answers, a neighbour's socket; other environments keep answering", async () => {
    projects.push(["drv", "calm"], ["drv", "bomb"], ["drv", "big"], ["drv", "nosy"]);
    const calm = await start("drv", "calm", config({}), PHP_APP);
    expect(calm.outcome).toEqual({ ok: true });
    const calmSocket = localDriver.webSocket("drv", "calm", calm.releaseId);
    // A worker that forks without end, and one that eats memory.
    const bomb = await start("drv", "bomb", config({ workers: { bomb: { commands: { start: "until [ -e /app/var/go ]; do sleep 0.05; done; b() { b | b & }; b" } }, eat: { commands: { start: `node -e 'const a=[];for(;;)a.push(Buffer.alloc(1<<20,1))'` } } } }), PHP_APP);
    expect(bomb.outcome, bomb.log.text()).toEqual({ ok: true });
    fs.writeFileSync(path.join(bomb.binds[0]!.source, "go"), ""); // the worker forks without end from now on
    // An application whose answers never end, another that tries the neighbour's socket.
    const endless = `require("http").createServer((q,s)=>{if(q.method==="HEAD")return s.end();const c=Buffer.alloc(65536,120);const w=()=>{while(s.write(c));};s.on("drain",w);w()}).listen(process.env.PORT)`;
    const big = await start("drv", "big", config({ type: "nodejs:20", web: { commands: { start: `node -e '${endless}'` } } }), { "public/.keep": "" });
    expect(big.outcome, big.log.text()).toEqual({ ok: true });
    const nosy = `const net=require("net");require("http").createServer((q,s)=>{const c=net.connect(process.env.TARGET);c.on("connect",()=>s.end("REACHED"));c.on("error",e=>s.end("refused "+e.code))}).listen(process.env.PORT)`;
    const neighbour = await start("drv", "nosy", config({ type: "nodejs:20", web: { commands: { start: `node -e '${nosy}'` } } }), { "public/.keep": "" }, { TARGET: calmSocket });
    expect(neighbour.outcome, neighbour.log.text()).toEqual({ ok: true });
    expect((await request(localDriver.webSocket("drv", "nosy", neighbour.releaseId))).body).toBe("refused ENOENT");

    // Through the router: the endless answer is cut at ROUTER_MAX_RESPONSE_MB, with a line in error.log.
    big.makeCurrent();
    const router = createEnvironmentRouter(async () => { throw new Error("no database here"); });
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (router.address() as AddressInfo).port;
      const received = await new Promise<number>((resolve) => {
        let n = 0;
        http.get({ host: "127.0.0.1", port, path: "/drv/big/", headers: { host: "127.0.0.1" } }, (res) => {
          res.on("data", (c: Buffer) => (n += c.length));
          res.on("error", () => resolve(n));
          res.on("close", () => resolve(n));
          res.on("end", () => resolve(n));
        }).on("error", () => resolve(n));
        setTimeout(() => resolve(n), 5000);
      });
      expect(received).toBeLessThanOrEqual(1024 * 1024 + 128 * 1024);
      expect(await waitFor(() => appLog("drv", "big", "error").includes("the answer was cut at 1 MiB"), 3000)).toBe(true);
      // The fork bomb met its process limit; the memory eater was stopped and started again.
      expect(await waitFor(() => /Worker eat (was killed|exited)/.test(appLog("drv", "bomb", "worker-eat")), 15_000)).toBe(true);
      expect(await waitFor(() => fs.existsSync(path.join(dataPaths.environmentLogs("drv", "bomb"), "worker-bomb.log")) && /fork|Resource temporarily unavailable/.test(appLog("drv", "bomb", "worker-bomb")), 15_000)).toBe(true);
      // Meanwhile the calm environment answers, in its usual time.
      for (let i = 0; i < 5; i++) {
        const t = Date.now();
        expect((await request(calmSocket, "/health")).body).toBe("ok");
        expect(Date.now() - t).toBeLessThan(1000);
      }
    } finally {
      router.close();
    }
    await localDriver.stopEnvironment("drv", "bomb", "Stopping the bomb.");
    expect(localDriver.environmentStatus("drv", "bomb")).toBeNull();
  }, 60_000);

  it.runIf(node)("an application that answers with headers that are not HTTP gets a 502 page that says so, and a line in error.log", async () => {
    projects.push(["drv", "garbled"]);
    const garbled = `require("net").createServer(c=>{c.once("data",d=>String(d).startsWith("HEAD")?c.end("HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n"):c.end("HTTP/1.1 200 OK\\r\\nBad Header Line\\r\\n\\r\\nbody"))}).listen(process.env.PORT)`;
    const r = await start("drv", "garbled", config({ type: "nodejs:20", web: { commands: { start: `node -e '${garbled}'` } } }), { "public/.keep": "" });
    expect(r.outcome, r.log.text()).toEqual({ ok: true }); // (HEAD, the start check, it answers properly)
    const answer = await request(localDriver.webSocket("drv", "garbled", r.releaseId), "/x");
    expect(answer.status).toBe(502);
    expect(answer.headers["x-pwi-upstream-error"]).toBe("502");
    expect(answer.body).toContain("The application is not answering");
    expect(await waitFor(() => /upstream sent (invalid header|no valid HTTP)/.test(appLog("drv", "garbled", "error")), 3000)).toBe(true);
  });

  it.runIf(node)("pushed variables reach only the sandbox: PERL5OPT and LD_PRELOAD never act on the host processes that set it up", async () => {
    projects.push(["drv", "envvars"]);
    const evil = { PERL5OPT: "-MPwiNoSuchModule", LD_PRELOAD: "/app/var/evil.so", BASH_ENV: "/app/var/evil.sh" };
    const r = await start("drv", "envvars", config({ type: "php:8.2", workers: { show: { commands: { start: 'echo "inside: $PERL5OPT $LD_PRELOAD"; exec sleep 1000' }, variables: { env: evil } } } }), PHP_APP, evil);
    expect(r.outcome, r.log.text()).toEqual({ ok: true });
    expect(await waitFor(() => fs.existsSync(path.join(dataPaths.environmentLogs("drv", "envvars"), "worker-show.log")) && appLog("drv", "envvars", "worker-show").includes("inside:"), 3000)).toBe(true);
    expect(await logHas("drv", "envvars", "worker-show", "inside: -MPwiNoSuchModule /app/var/evil.so")).toBe(true);
    expect(appLog("drv", "envvars", "worker-show")).not.toMatch(/Can't locate|PwiNoSuchModule\.pm/);
    expect(appLog("drv", "envvars", "app")).not.toMatch(/Can't locate|PwiNoSuchModule\.pm/);
  });

  it.runIf(node)("a web socket the application replaced with a link to a neighbour's is refused by the router, never followed", async () => {
    projects.push(["drv", "victim"], ["drv", "swapper"]);
    const victim = await start("drv", "victim", config({}), { "public/index.php": "<?php echo 'VICTIM SECRET';" });
    expect(victim.outcome).toEqual({ ok: true });
    // The swapper replaces its own web.sock with a link to the victim's once the test writes var/go (no router connection to it exists before).
    const swap = `const fs=require("fs");require("http").createServer((q,s)=>s.end("mine")).listen(process.env.PORT);const t=setInterval(()=>{if(!fs.existsSync("/app/var/go"))return;clearInterval(t);fs.symlinkSync(process.env.TARGET,"/run/app/l");fs.renameSync("/run/app/l","/run/app/web.sock");fs.writeFileSync("/app/var/swapped","")},20)`;
    const swapper = await start("drv", "swapper", config({ type: "nodejs:20", web: { commands: { start: `node -e '${swap}'` } } }), { "public/.keep": "" }, { TARGET: localDriver.webSocket("drv", "victim", victim.releaseId) });
    expect(swapper.outcome, swapper.log.text()).toEqual({ ok: true });
    expect((await request(localDriver.webSocket("drv", "swapper", swapper.releaseId))).body).toBe("mine");
    fs.writeFileSync(path.join(swapper.binds[0]!.source, "go"), "");
    expect(await waitFor(() => fs.existsSync(path.join(swapper.binds[0]!.source, "swapped")), 5000)).toBe(true);
    const router = createEnvironmentRouter(async () => { throw new Error("no database here"); });
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (router.address() as AddressInfo).port;
      const get = (p: string) => fetch(`http://127.0.0.1:${port}/drv/swapper${p}`, { headers: { connection: "close" } }).then(async (res) => ({ status: res.status, body: await res.text() }));
      // Every connection the router makes now is refused: the link is never followed to the victim.
      const after = await Promise.all(Array.from({ length: 40 }, () => get("/")));
      expect(after.map((a) => a.body).join("")).not.toContain("VICTIM");
      expect(after.map((a) => a.status)).toEqual(Array.from({ length: 40 }, () => 502));
      expect(await waitFor(() => appLog("drv", "swapper", "error").includes("replaced by something that is not a socket"), 3000)).toBe(true);
    } finally {
      router.close();
    }
  });

  it.runIf(node)("the application and its workers reach the environment's SMTP endpoint at $MAGENTO_CLOUD_SMTP_HOST:$MAGENTO_CLOUD_SMTP_PORT, and nothing else", async () => {
    projects.push(["drv", "mailer"]);
    // A stand-in for the endpoint: a Unix socket that records what arrives.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-smtp-"));
    const socketPath = path.join(dir, "smtp.sock");
    const received: string[] = [];
    const server = net.createServer((c) => c.on("data", (d) => received.push(String(d).trim())));
    await new Promise<void>((r) => server.listen(socketPath, () => r()));
    let closed = false;
    const services: ReleaseServices = { openMail: async () => ({ socketPath, env: { MAGENTO_CLOUD_SMTP_HOST: "127.0.0.1", MAGENTO_CLOUD_SMTP_PORT: "1025" }, close: async () => void (closed = true) }) };
    const send = (who: string) => `require("net").connect(+process.env.MAGENTO_CLOUD_SMTP_PORT,process.env.MAGENTO_CLOUD_SMTP_HOST,function(){this.end("HELO ${who}\\r\\n")}).on("error",e=>console.log("mail failed",e.code))`;
    const app = `${send("web")};require("http").createServer((q,s)=>s.end("ok")).listen(process.env.PORT)`;
    const r = await start("drv", "mailer", config({ type: "nodejs:20", web: { commands: { start: `node -e '${app}'` } }, workers: { mail: { commands: { start: `node -e '${send("worker")}'; exec sleep 1000` } } } }), { "public/.keep": "" }, {}, services);
    expect(r.outcome, r.log.text()).toEqual({ ok: true });
    expect(await waitFor(() => received.includes("HELO web") && received.includes("HELO worker"), 5000)).toBe(true);
    await localDriver.stopEnvironment("drv", "mailer", "Stopping the mailer.");
    expect(closed).toBe(true);
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
