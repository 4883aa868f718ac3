import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cgroupsAvailable, disableCgroupsForTesting, hookCgroupParentsForTests } from "./hook-cgroup";
import { attempt, processesMatching, recordingLog, until } from "./testing-hooks";
import { runHook, sweepHookProcesses, type HookLimits, type HookPhase } from "./run-hook";
import { resetEnvForTests } from "@/lib/env";
import { runnerPidForTests } from "@/lib/process-runner";
import { sandboxSupport, setSandboxSupportForTesting } from "./sandbox";

// Every attempt a hostile repository's hook makes to leave its sandbox. Run in CI with
// bubblewrap installed (.ci/run installs it); without it these tests are skipped and say so.
const support = sandboxSupport();
const sandboxed = support.ok ? describe : describe.skip;
if (!support.ok) console.warn(`[sandbox tests] SKIPPED: ${support.reason}`);


const dataDir = () => process.env.DATA_DIR!;
let appDir: string;
let volume: string;
let dashboard: net.Server;
let dashboardPort: number;

beforeAll(async () => {
  appDir = fs.mkdtempSync(path.join(dataDir(), "deploy-"));
  volume = path.join(dataDir(), "volumes", "proj", "env");
  fs.mkdirSync(path.join(volume, "mounts", "var"), { recursive: true });
  fs.mkdirSync(path.join(appDir, "var")); // the mount's place, as a deploy prepares it
  fs.writeFileSync(path.join(dataDir(), "auth-secret"), "the-session-secret");
  fs.mkdirSync(path.join(dataDir(), "repos", "other.git", "hooks"), { recursive: true });
  fs.mkdirSync(path.join(dataDir(), "volumes", "proj", "production"), { recursive: true });
  fs.writeFileSync(path.join(dataDir(), "volumes", "proj", "production", "customers.csv"), "secret customers");
  process.env.PWI_TEST_SERVER_SECRET = "server-environment-secret";
  dashboard = net.createServer((socket) => socket.end("HTTP/1.1 200 OK\r\n\r\nreached"));
  await new Promise<void>((resolve) => dashboard.listen(0, "127.0.0.1", resolve));
  dashboardPort = (dashboard.address() as net.AddressInfo).port;
});
afterAll(() => {
  dashboard.close();
  delete process.env.PWI_TEST_SERVER_SECRET;
});

function hook(script: string, options: { phase?: HookPhase; appWritable?: boolean; limits?: Partial<HookLimits>; signal?: AbortSignal } = {}) {
  const recorded = recordingLog();
  const phase = options.phase ?? "deploy";
  const result = runHook({
    script,
    phase,
    sandbox: { appDir, appWritable: options.appWritable ?? phase === "build", binds: [{ source: path.join(volume, "mounts", "var"), dest: "/app/var" }], network: false },
    env: { MAGENTO_CLOUD_ENVIRONMENT: "env" },
    log: recorded.log,
    limits: options.limits,
    signal: options.signal,
  });
  return { result, ...recorded };
}


sandboxed("a hook in its sandbox", () => {
  it("cannot read the server's secrets, environment, other projects or /proc, write outside its mounts, or reach the dashboard", async () => {
    const d = dataDir();
    const { result, lines } = hook(
      [
        attempt,
        `attempt read-secret "cat '${d}/auth-secret'"`,
        `attempt list-data-dir "ls '${d}/repos'"`,
        `attempt write-other-repo "touch '${d}/repos/other.git/hooks/pre-receive'"`,
        `attempt read-other-environment "cat '${d}/volumes/proj/production/customers.csv'"`,
        `attempt server-environ "grep -qa PWI_TEST_SERVER_SECRET /proc/*/environ"`,
        `attempt server-process "ps -eo args | grep -q '[v]itest'"`,
        `attempt own-environment '[ -n "$PWI_TEST_SERVER_SECRET$DATA_DIR$AUTH_SECRET" ]'`,
        `attempt app-source "ls '${process.cwd()}/package.json'"`,
        `attempt write-usr "touch /usr/pwned"`,
        `attempt write-app-during-deploy "touch /app/pwned"`,
        `attempt see-volumes-root "ls '${volume}'"`,
        `attempt replace-mount "mv /app/var /app/var.old"`,
        `attempt reach-dashboard "exec 3<>/dev/tcp/127.0.0.1/${dashboardPort}"`,
        `attempt reach-outside "exec 3<>/dev/tcp/1.1.1.1/80"`,
        `attempt root "[ $(id -u) = 0 ]"`,
        // What a deploy hook may do:
        `touch /app/var/written && echo "WROTE own mount"`,
        `echo "HOME=$HOME PATH=$PATH"`,
      ].join("\n"),
    );
    expect((await result).exitCode).toBe(0);
    const out = lines.map((l) => l.text);
    expect(out.filter((l) => l.startsWith("ESCAPED"))).toEqual([]);
    for (const what of ["read-secret", "list-data-dir", "write-other-repo", "read-other-environment", "server-environ", "server-process", "own-environment", "app-source", "write-usr", "write-app-during-deploy", "see-volumes-root", "replace-mount", "reach-dashboard", "reach-outside", "root"]) {
      expect(out).toContain(`BLOCKED ${what}`);
    }
    expect(out).toContain("WROTE own mount");
    expect(fs.existsSync(path.join(volume, "mounts", "var", "written"))).toBe(true);
    expect(out).toContain("HOME=/app PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    expect(fs.existsSync(path.join(dataDir(), "repos", "other.git", "hooks", "pre-receive"))).toBe(false);
  });

  it("writes /app during the build only", async () => {
    const { result, lines } = hook("touch /app/built && echo built", { phase: "build" });
    expect((await result).exitCode).toBe(0);
    expect(lines.map((l) => l.text)).toEqual(["built"]);
    expect(fs.existsSync(path.join(appDir, "built"))).toBe(true);
  });

  it("ends with its main process: a background process holding its output is killed, setsid or not", async () => {
    const marker = `sleep 600.${process.pid}1`;
    const t0 = Date.now();
    const { result, lines } = hook(`(${marker} &); setsid ${marker} & echo started`);
    const r = await result;
    expect(r.exitCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(lines.map((l) => l.text)).toEqual(["started"]);
    expect(await until(() => processesMatching(marker).length === 0)).toBe(true);
  });

  it("is stopped at its time limit, with a log line naming the setting", async () => {
    const marker = `sleep 600.${process.pid}2`;
    const { result, text } = hook(`setsid ${marker} & ${marker}`, { limits: { timeoutMs: 500 } });
    const r = await result;
    expect(r).toMatchObject({ timedOut: true, limit: "time", exitCode: null });
    expect(text()).toMatch(/The deploy hook ran longer than its limit of 0\.5 s \(HOOK_DEPLOY_TIMEOUT\) and was stopped/);
    expect(await until(() => processesMatching(marker).length === 0)).toBe(true);
  });

  it("is stopped by Cancel in every phase, with everything it started", async () => {
    for (const phase of ["build", "deploy", "post_deploy"] as const) {
      const marker = `sleep 600.${process.pid}3`;
      const controller = new AbortController();
      const { result, lines } = hook(`setsid ${marker} & echo running; ${marker}`, { phase, signal: controller.signal });
      await until(() => lines.some((l) => l.text === "running"));
      controller.abort();
      expect(await result).toMatchObject({ cancelled: true, exitCode: null });
      expect(await until(() => processesMatching(marker).length === 0)).toBe(true);
    }
  });

  it("cannot use more memory than its limit", async () => {
    const { result, text } = hook(`perl -e '$x = "a" x (512 * 1024 * 1024); print "ESCAPED memory\\n"'`, { limits: { memoryBytes: 128 * 1024 * 1024 } });
    const r = await result;
    expect(r.exitCode).not.toBe(0);
    expect(text()).not.toContain("ESCAPED");
    if (cgroupsAvailable()) {
      expect(r.limit).toBe("memory");
      expect(text()).toMatch(/ran out of memory: its processes together may use 128 MiB \(HOOK_MEMORY_MB\)/);
    }
  });

  it("cannot start more processes than its limit", async () => {
    const { result, text } = hook(
      `perl -e 'my $n = 0; for (1..100) { my $p = fork(); last unless defined $p; if ($p == 0) { sleep 30; exit 0 } $n++ } print "started $n\\n"'`,
      { limits: { maxProcesses: 20 } },
    );
    const r = await result;
    const started = Number(/started (\d+)/.exec(text())?.[1]);
    expect(started).toBeLessThan(20);
    if (cgroupsAvailable()) expect(r.limit).toBe("processes");
  });
});

sandboxed("a hook in its sandbox where no cgroup can be made (rlimits per process)", () => {
  beforeAll(() => disableCgroupsForTesting(true));
  afterAll(() => disableCgroupsForTesting(false));

  it("still ends with its main process, and is held by the memory and process limits", async () => {
    const marker = `sleep 600.${process.pid}5`;
    const background = hook(`setsid ${marker} & echo started`);
    expect((await background.result).exitCode).toBe(0);
    expect(await until(() => processesMatching(marker).length === 0)).toBe(true);

    const memory = hook(`perl -e '$x = "a" x (512 * 1024 * 1024); print "ESCAPED memory\\n"'`, { limits: { memoryBytes: 128 * 1024 * 1024 } });
    expect((await memory.result).exitCode).not.toBe(0);
    expect(memory.text()).not.toContain("ESCAPED");

    const secret = hook(`cat '${dataDir()}/auth-secret' || echo BLOCKED`);
    await secret.result;
    expect(secret.text()).toContain("BLOCKED");
  });
});

sandboxed("after the server dies mid-hook", () => {
  it("the restarted server leaves no process of the hook behind", async () => {
    const marker = `sleep 600.${process.pid}4`;
    // A server (a separate Node process) that runs a sandboxed hook and is then killed with -9.
    const server = spawn(
      path.resolve("node_modules/.bin/tsx"),
      ["--conditions=react-server", "-e", `
        import("${path.resolve("lib/runtime/run-hook.ts")}").then(({ runHook }) => runHook({
          script: "setsid ${marker} & ${marker} & echo started; wait",
          phase: "deploy",
          sandbox: { appDir: ${JSON.stringify(appDir)}, appWritable: false, binds: [], network: false },
          env: {},
          log: { line: (t) => console.log(t), isBackedUp: () => false, drained: async () => {} },
        }));`],
      { env: { ...process.env }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    server.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    expect(await until(() => output.includes("started"), 20_000)).toBe(true);
    expect(processesMatching(marker).length).toBeGreaterThan(0);
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    sweepHookProcesses(); // what a restarted server does first
    expect(await until(() => processesMatching(marker).length === 0)).toBe(true);
    expect(fs.readdirSync(path.join(dataDir(), "run", "hooks"))).toEqual([]);
  }, 60_000);
});

describe.runIf(cgroupsAvailable())("the cgroups of hooks whose server is gone", () => {
  it("are removed at start under every data directory's parent, and the other parents with them once empty", () => {
    const dead = Number(spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
    // Another data directory's parent (a test run's), holding the cgroup of a hook whose server died.
    const others = hookCgroupParentsForTests().map((own) => path.join(path.dirname(own), `pwi-hooks-t${process.pid}`));
    for (const parent of others) fs.mkdirSync(path.join(parent, `${dead}-1`), { recursive: true });
    sweepHookProcesses();
    for (const parent of others) expect(fs.existsSync(parent)).toBe(false);
  });
});

sandboxed("after the process runner (which starts hooks) dies mid-hook", () => {
  it("the hook fails with a line in its log, and none of its processes is left", async () => {
    const marker = `sleep 600.${process.pid}6`;
    const running = hook(`setsid ${marker} & ${marker} & echo started; wait`);
    expect(await until(() => running.text().includes("started"), 20_000)).toBe(true);
    process.kill(runnerPidForTests()!, "SIGKILL");
    expect(await running.result).toMatchObject({ exitCode: null, signal: "SIGKILL", cancelled: false });
    expect(running.text()).toContain("The deploy hook was stopped: the server's process runner, which started it, ended while it ran.");
    expect(await until(() => processesMatching(marker).length === 0)).toBe(true);
    expect(fs.readdirSync(path.join(dataDir(), "run", "hooks"))).toEqual([]);
  });
});

describe("without a working sandbox", () => {
  afterAll(() => {
    delete process.env.HOOK_SANDBOX;
    resetEnvForTests();
    setSandboxSupportForTesting(undefined);
  });

  it("warns in the log and runs the hook (auto), or refuses it (HOOK_SANDBOX=required)", async () => {
    setSandboxSupportForTesting({ ok: false, reason: "bubblewrap (bwrap) is not installed: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)" });
    const auto = hook("echo ran");
    expect((await auto.result).exitCode).toBe(0);
    expect(auto.lines.map((l) => l.text)).toEqual([
      "Warning: hooks run WITHOUT a sandbox: bubblewrap (bwrap) is not installed: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap). A hook can then read and change everything the server can. Set HOOK_SANDBOX=required to refuse hooks instead.",
      "ran",
    ]);
    process.env.HOOK_SANDBOX = "required";
    resetEnvForTests();
    const required = hook("echo ran");
    expect(await required.result).toMatchObject({ refused: true, exitCode: null });
    expect(required.lines.map((l) => l.text)).toEqual(["The deploy hook was not run: HOOK_SANDBOX=required and bubblewrap (bwrap) is not installed: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)."]);
  });
});
