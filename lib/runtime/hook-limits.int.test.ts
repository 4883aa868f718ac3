import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import { cgroupsAvailable, cpuLimitAvailable, disableCgroupsForTesting } from "./hook-cgroup";
import { attempt, processesMatching, recordingLog, until } from "./testing-hooks";
import { runHook, type HookLimits } from "./run-hook";
import { sandboxSupport, setSandboxSupportForTesting } from "./sandbox";
import { hookSeccomp, setHookSeccompForTesting } from "./seccomp";

// Issue 31: what a hook cannot do to the kernel (its seccomp filter), how much CPU it may take
// (HOOK_CPUS), and that nothing it leaves behind keeps it running. The sandbox tests need
// bubblewrap and python3-seccomp: skipped (and said loudly) where they are missing, except in
// CI, where .ci/run installs them and a missing one fails.
const support = sandboxSupport();
const filter = await hookSeccomp();
const missing = !support.ok ? support.reason : !filter.ok ? filter.reason : null;
const inCI = Boolean(process.env.CI);
if (missing && !inCI) console.warn(`[hook limits] SANDBOX AND SECCOMP TESTS SKIPPED: ${missing}`);
const sandboxed = missing && !inCI ? describe.skip : describe;
const cpuLimited = cpuLimitAvailable();
if (!cpuLimited) console.warn("[hook limits] CPU LIMIT TESTS SKIPPED: no cgroup with the cpu controller can be made here");


let appDir: string;
beforeAll(() => {
  appDir = fs.mkdtempSync(path.join(process.env.DATA_DIR!, "app-"));
});

function hook(script: string, limits: Partial<HookLimits> = {}) {
  const recorded = recordingLog();
  const result = runHook({ script, phase: "deploy", sandbox: { appDir, appWritable: false, binds: [], network: false }, env: {}, log: recorded.log, limits: { timeoutMs: 60_000, ...limits } });
  return { result, ...recorded };
}


sandboxed("a sandboxed hook's seccomp filter", () => {
  it("is there (CI installs bubblewrap and python3-seccomp)", () => {
    expect(missing).toBeNull();
  });

  it("refuses nested namespaces, mounts, ASLR off (and on x86-64: tracing, the keyring, bpf); clone3 is 'not implemented'", async () => {
    const attempts: Record<string, string> = {
      "user-namespace": "unshare -Ur id",
      "mount-namespace": "unshare -m true",
      "network-namespace": "unshare -n true",
      mount: "mount -t tmpfs none /tmp",
      "mount-in-user-namespace": "unshare -Urm mount -t tmpfs none /tmp",
      "aslr-off": "setarch $(uname -m) -R true",
    };
    // System calls by their x86-64 numbers: ptrace(PTRACE_TRACEME), keyctl(KEYCTL_GET_KEYRING_ID), bpf(BPF_PROG_LOAD).
    const x64 = process.arch === "x64";
    if (x64) {
      attempts.ptrace = "perl -e 'exit(syscall(101, 0, 0, 0, 0) == -1 ? 1 : 0)'";
      attempts.keyring = "perl -e 'exit(syscall(250, 0, -3, 0) == -1 ? 1 : 0)'";
      attempts.bpf = "perl -e 'exit(syscall(321, 5, 0, 0) == -1 ? 1 : 0)'";
    }
    const { result, lines, text } = hook(
      [
        attempt,
        "grep '^Seccomp:' /proc/self/status",
        ...Object.entries(attempts).map(([what, command]) => `attempt ${what} ${JSON.stringify(command)}`),
        ...(x64 ? [`perl -e 'syscall(435, 0, 0); print "clone3: $!\\n"'`, `perl -e 'syscall(272, 0x10000000); print "unshare(CLONE_NEWUSER): $!\\n"'`] : []),
      ].join("\n"),
    );
    expect((await result).exitCode).toBe(0);
    const out = lines.map((l) => l.text);
    expect(out[0], text()).toMatch(/^Seccomp:\s+2$/); // 2: a filter
    expect(out.filter((l) => l.startsWith("ESCAPED"))).toEqual([]);
    for (const what of Object.keys(attempts)) expect(out).toContain(`BLOCKED ${what}`);
    if (x64) expect(out.slice(-2)).toEqual(["clone3: Function not implemented", "unshare(CLONE_NEWUSER): Operation not permitted"]);
  });

  it("lets an ordinary script run: bash, coreutils, threads and child processes, node, git, perl, python, php", async () => {
    const php = fs.existsSync("/usr/bin/php") ? "php -r 'echo \"php \", PHP_MAJOR_VERSION, \"\\n\";'" : "echo 'php 8'";
    const { result, lines, text } = hook(
      [
        "set -e",
        "echo hello | tr a-z A-Z",
        "seq 1 1000 | sort -rn --parallel=2 | head -1",
        "mkdir -p /tmp/work && cd /tmp/work && printf 'b\\na\\n' > f && sort f | tr '\\n' ' ' && echo",
        `node -e 'const { execFileSync } = require("child_process"); const { Worker } = require("worker_threads"); new Worker("require(\\"worker_threads\\").parentPort.postMessage(6 * 7)", { eval: true }).on("message", (m) => console.log("node", m, execFileSync("echo", ["child"]).toString().trim()))'`,
        "git --version | cut -d' ' -f1-2",
        "git init -q /tmp/repo && git -C /tmp/repo -c user.email=a@b -c user.name=a commit -q --allow-empty -m x && echo committed",
        `perl -e 'my $p = fork(); if ($p == 0) { exit 3 } waitpid($p, 0); print "perl ", $? >> 8, "\\n"'`,
        `python3 -c 'import subprocess, threading; t = threading.Thread(target=lambda: None); t.start(); t.join(); print("python", subprocess.run(["true"]).returncode)'`,
        php,
      ].join("\n"),
    );
    expect((await result).exitCode, text()).toBe(0);
    expect(lines.map((l) => l.text)).toEqual(["HELLO", "1000", "a b ", "node 42 child", "git version", "committed", "perl 3", "python 0", expect.stringMatching(/^php \d+$/)]);
  });
});

  it("is written again, and hooks' FIFOs made anew, when a cleaner removed the private folder: nothing is taken from a folder of the old path", async () => {
    const first = await hookSeccomp();
    if (!first.ok) throw new Error(first.reason);
    const bytes = fs.readFileSync(first.file);
    const warm = hook("echo warm");
    expect((await warm.result).exitCode, warm.text()).toBe(0); // the FIFO pool now holds pipes of the old folder
    // A cleaner removes the process's folder; someone else makes one of that name, with a filter
    // that allows everything and plain files where the FIFOs were.
    const root = path.dirname(path.dirname(first.file));
    fs.rmSync(root, { recursive: true });
    for (const sub of ["seccomp", "hooks"]) fs.mkdirSync(path.join(root, sub), { recursive: true, mode: 0o755 });
    fs.chmodSync(root, 0o755);
    fs.writeFileSync(first.file, "planted!");
    for (let i = 1; i <= 16; i++) fs.writeFileSync(path.join(root, "hooks", `pipe-${i}`), "PLANTED\n");
    const again = await hookSeccomp();
    if (!again.ok) throw new Error(again.reason);
    expect(again.file).not.toBe(first.file);
    expect(fs.readFileSync(again.file)).toEqual(bytes);
    // A hook still runs under the real filter, and its output comes through a FIFO of the new folder.
    const { result, lines, text } = hook("unshare -Ur id && echo escaped || echo refused");
    const code = (await result).exitCode;
    expect(lines.map((l) => l.text).filter((t) => !t.startsWith("unshare")), `${code}: ${text()}`).toEqual(["refused"]);
    expect(fs.readdirSync(path.join(root, "hooks")).length).toBe(16);
    fs.rmSync(root, { recursive: true });
  });

describe("a hook's descriptors", () => {
  it.runIf(support.ok)("are stdin, stdout and stderr only: nothing the server inherited without close-on-exec reaches it", async () => {
    // The hook's shell's descriptors, listed while it waits for ls (no pipeline: its pipes would be listed too).
    const { result, lines } = hook("ls /proc/$$/fd > /tmp/fds && echo $(sort -n /tmp/fds)");
    expect((await result).exitCode).toBe(0);
    expect(lines.map((l) => l.text)).toEqual(["0 1 2"]);
  });
});

describe("a hook without its seccomp filter (python3-seccomp missing)", () => {
  afterAll(() => {
    delete process.env.HOOK_SANDBOX;
    resetEnvForTests();
    setHookSeccompForTesting(undefined);
  });

  it.runIf(support.ok)("runs sandboxed with a warning in its log (auto), or is refused (HOOK_SANDBOX=required)", async () => {
    const reason = "the seccomp filter cannot be made: the libseccomp bindings for /usr/bin/python3 are not installed (Debian/Ubuntu: apt-get install python3-seccomp)";
    setHookSeccompForTesting({ ok: false, reason });
    const auto = hook("grep '^Seccomp:' /proc/self/status; echo ran");
    expect((await auto.result).exitCode).toBe(0);
    expect(auto.lines.map((l) => l.text)).toEqual([
      "Warning: this hook runs without its system-call filter (seccomp): the seccomp filter cannot be made: the libseccomp bindings for /usr/bin/python3 are not installed (Debian/Ubuntu: apt-get install python3-seccomp). Set HOOK_SANDBOX=required to refuse hooks instead.",
      expect.stringMatching(/^Seccomp:\s+0$/),
      "ran",
    ]);
    process.env.HOOK_SANDBOX = "required";
    resetEnvForTests();
    const required = hook("echo ran");
    expect(await required.result).toMatchObject({ refused: true, exitCode: null });
    expect(required.lines.map((l) => l.text)).toEqual([`The deploy hook was not run: HOOK_SANDBOX=required and ${reason}.`]);
  });
});

/** Latency of a tiny HTTP server in this process (the dashboard's stand-in), asked every 20 ms, and of its event loop. */
async function measureLatency<T>(during: () => Promise<T>) {
  const server = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true });
  const times: number[] = [];
  let running = true;
  const ask = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      http
        .get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
          res.resume();
          res.on("end", () => {
            times.push(performance.now() - t0);
            resolve();
          });
        })
        .on("error", () => resolve());
    });
  const loop = (async () => {
    while (running) {
      await ask();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const t0 = Date.now();
  const value = await during();
  const elapsed = Date.now() - t0;
  delay.disable();
  running = false;
  await loop;
  agent.destroy();
  server.close();
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return { value, elapsed, requests: times.length, p50: pct(50), p99: pct(99), max: sorted.at(-1) ?? NaN, loopP99: delay.percentile(99) / 1e6, loopMax: delay.max / 1e6 };
}

const describeCpu = cpuLimited ? describe : describe.skip;

describeCpu("a hook's CPU (HOOK_CPUS), all its processes together", () => {
  it.runIf(support.ok)("a fork bomb with four CPU burners reaches HOOK_MAX_PROCESSES, uses at most its 1 CPU, and the server keeps answering", async () => {
    // The bomb's processes fork on, failing; the hook's main process (a builtin wait) ends it all after 3 s.
    const script = "sleep 3 & s=$!; for i in 1 2 3 4; do (while :; do :; done) & done; :(){ :|:& };:; wait $s";
    const m = await measureLatency(() => hook(script, { cpus: 1, maxProcesses: 512 }).result);
    expect(m.value.cpuMs, "the hook's cgroup counts its CPU time").toBeGreaterThan(0);
    const cores = m.value.cpuMs! / m.elapsed;
    console.log(`[fork bomb and burners] ${m.elapsed} ms; the hook's cgroup used ${m.value.cpuMs} ms of CPU (${cores.toFixed(2)} cores, limit 1); HTTP p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, max ${m.max.toFixed(1)} ms over ${m.requests} requests; event loop p99 ${m.loopP99.toFixed(1)} ms, max ${m.loopMax.toFixed(1)} ms`);
    expect(m.value.limit).toBe("processes");
    expect(cores).toBeLessThanOrEqual(1.1);
    expect(m.p99).toBeLessThan(200); // the bar (measured: under 20 ms on two shared cores)
  }, 30_000);

  it.runIf(support.ok)("four CPU burners get a quarter of a core when HOOK_CPUS=0.25, and the log says they were slowed down", async () => {
    const m = await measureLatency(async () => {
      const h = hook("for i in 1 2 3 4; do (while :; do :; done) & done; wait", { cpus: 0.25, timeoutMs: 2500 });
      return { r: await h.result, text: h.text() };
    });
    const { r, text } = m.value;
    expect(r.cpuMs, "the hook's cgroup counts its CPU time").toBeGreaterThan(0);
    const cores = r.cpuMs! / m.elapsed;
    console.log(`[burner] ${m.elapsed} ms; the hook's cgroup used ${r.cpuMs} ms of CPU (${cores.toFixed(2)} cores, limit 0.25); HTTP p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, max ${m.max.toFixed(1)} ms over ${m.requests} requests; event loop p99 ${m.loopP99.toFixed(1)} ms`);
    expect(r).toMatchObject({ timedOut: true, limit: "time" });
    expect(cores).toBeLessThanOrEqual(0.25 * 1.1);
    expect(text).toMatch(/^The deploy hook was slowed down by its limit of 0\.25 CPU \(HOOK_CPUS\): its processes used \d+\.\d s of CPU time in \d+\.\d s\.$/m);
    expect(m.p99).toBeLessThan(200);
  }, 30_000);
});

let n = 0;
/** The ways a script leaves processes holding its output behind (each a `sleep` with a marker). */
function leftBehind() {
  const marker = `sleep 300.${process.pid}${++n}`;
  const done = `echo "done $(date +%s%3N)"`;
  return {
    marker,
    variants: {
      "a subshell's child writing to stdout, and setsid & disown": `(${marker} > /dev/stdout 2>&1 &) ; setsid ${marker} & disown; ${done}`,
      "a double-forked daemon keeping stdout": `perl -MPOSIX -e 'exit 0 if fork; POSIX::setsid(); exit 0 if fork; exec "sleep", "${marker.slice("sleep ".length)}"'; ${done}`,
      nohup: `nohup ${marker} & ${done}`,
    },
  };
}

async function endsWithItsMainProcess() {
  const { marker, variants } = leftBehind();
  for (const [name, script] of Object.entries(variants)) {
    const { result, lines, text } = hook(script);
    const r = await result;
    const ended = Date.now();
    const done = lines.find((l) => l.text.startsWith("done "));
    expect(done, `${name}: ${text()}`).toBeDefined();
    const after = ended - Number(done!.text.slice("done ".length));
    console.log(`[left behind] ${name}: the hook ended ${after} ms after its main process`);
    expect(r.exitCode).toBe(0);
    expect(after, name).toBeLessThan(2000);
    expect(await until(() => processesMatching(marker).length === 0), name).toBe(true);
  }
}

describe("a hook's processes left behind when its main process ends", () => {
  it.runIf(support.ok)("sandboxed: are killed at once, whatever pipe they hold", endsWithItsMainProcess, 30_000);

  describe("unsandboxed", () => {
    beforeAll(() => setSandboxSupportForTesting({ ok: false, reason: "test" }));
    afterAll(() => {
      setSandboxSupportForTesting(undefined);
      disableCgroupsForTesting(false);
    });
    it.runIf(cgroupsAvailable())("in a cgroup: are killed at once", endsWithItsMainProcess, 30_000);
    it("without a cgroup (a session of their own escapes the process group): are found by the pipe they hold and killed", async () => {
      disableCgroupsForTesting(true);
      await endsWithItsMainProcess();
    }, 30_000);
  });
});
