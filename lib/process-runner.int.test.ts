import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { childProcessEnv } from "@/lib/env";
import { keepRunnerReady, RunnerGone, runFile, runnerPidForTests, startProcess } from "./process-runner";

const env = childProcessEnv({});

it("runs a command in the process runner: its output, its input, its exit code; never through a shell", async () => {
  const ok = await runFile("sh", ["-c", 'cat; echo "$0" >&2', "$(touch /tmp/never)"], { env, input: "from stdin\n" });
  expect(ok).toMatchObject({ stdout: "from stdin\n", stderr: "$(touch /tmp/never)\n", exitCode: 0, failure: null });
  const failed = await runFile("sh", ["-c", "exit 3"], { env });
  expect(failed).toMatchObject({ exitCode: 3, failure: null });
  // Commands run beside each other, and the runner is one process.
  const pids = await Promise.all(Array.from({ length: 5 }, () => runFile("sh", ["-c", "echo $PPID"], { env })));
  expect(new Set(pids.map((p) => p.stdout)).size).toBe(1);
  expect(Number(pids[0]!.stdout)).toBe(runnerPidForTests());
});

it("says why a command could not run, or was cut, and keeps the caller's environment and directory", async () => {
  const missing = await runFile("no-such-command-pwi", [], { env });
  expect(missing.exitCode).toBeNull();
  expect(missing.failure).toMatch(/ENOENT/);
  const big = await runFile("head", ["-c", "5000", "/dev/zero"], { env, maxBuffer: 1000 });
  expect(big.failure).toMatch(/maxBuffer/);
  const where = await runFile("sh", ["-c", 'pwd; echo "$ONLY_HERE"'], { env: { ...env, ONLY_HERE: "yes" }, cwd: "/tmp" });
  expect(where.stdout).toBe("/tmp\nyes\n");
  // The runner itself sees none of the server's variables.
  process.env.PWI_SECRET_FOR_TEST = "secret";
  const runnerEnv = await runFile("sh", ["-c", `tr '\\0' '\\n' < /proc/${runnerPidForTests()}/environ`], { env });
  expect(runnerEnv.stdout).not.toContain("PWI_SECRET_FOR_TEST");
  delete process.env.PWI_SECRET_FOR_TEST;
});

it("fails the commands in flight when the runner is killed, and starts a new one for the next", async () => {
  await runFile("true", [], { env });
  const first = runnerPidForTests()!;
  const slow = runFile("sleep", ["5"], { env });
  process.kill(first, "SIGKILL");
  await expect(slow).rejects.toBeInstanceOf(RunnerGone);
  expect((await runFile("echo", ["again"], { env })).stdout).toBe("again\n");
  expect(runnerPidForTests()).not.toBe(first);
});

it("is one runner per process, even for another copy of this module (the server's bundles each have one)", async () => {
  await runFile("true", [], { env });
  vi.resetModules();
  const copy = await import("./process-runner");
  const viaCopy = await copy.runFile("sh", ["-c", "echo $PPID"], { env });
  expect(Number(viaCopy.stdout)).toBe(runnerPidForTests());
  expect(copy.RunnerGone).toBe(RunnerGone);
});

it("ends 15 s after its last command, unless a page is open (keepRunnerReady): then it is started and kept until released", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  try {
    await runFile("true", [], { env });
    expect(runnerPidForTests()).not.toBeNull();
    vi.advanceTimersByTime(14_000);
    expect(runnerPidForTests()).not.toBeNull();
    vi.advanceTimersByTime(1_000);
    await vi.waitFor(() => expect(runnerPidForTests()).toBeNull());

    const release = keepRunnerReady(); // a page connects: the runner starts before any command
    const held = runnerPidForTests();
    expect(held).not.toBeNull();
    await runFile("true", [], { env });
    vi.advanceTimersByTime(120_000);
    await new Promise((r) => setImmediate(r));
    expect(runnerPidForTests()).toBe(held);
    const other = keepRunnerReady(); // a second page, then the first goes
    release();
    release(); // twice is once
    vi.advanceTimersByTime(120_000);
    expect(runnerPidForTests()).toBe(held);
    other();
    vi.advanceTimersByTime(15_000);
    await vi.waitFor(() => expect(runnerPidForTests()).toBeNull());
  } finally {
    vi.useRealTimers();
  }
});

describe("startProcess", () => {
  /** A FIFO whose read end is held open, as run-hook's are, and everything read from it. */
  function fifo() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-runner-"));
    const file = path.join(dir, "out");
    execFileSync("mkfifo", [file]);
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const keep = fs.openSync(file, fs.constants.O_WRONLY); // no end of file before the process has its own
    return {
      file,
      started: () => fs.closeSync(keep),
      /** Everything written, up to end of file (every writer gone). */
      read: async () => {
        const buffer = Buffer.alloc(65536);
        let text = "";
        for (;;) {
          let n: number;
          try {
            n = fs.readSync(fd, buffer, 0, buffer.length, null);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
            await new Promise((r) => setTimeout(r, 10)); // nothing yet, and a writer is still there
            continue;
          }
          if (n === 0) break;
          text += buffer.subarray(0, n).toString();
        }
        fs.closeSync(fd);
        fs.rmSync(dir, { recursive: true, force: true });
        return text;
      },
    };
  }

  it("starts a process from the runner in a group of its own, its output in the FIFO, and reports its exit", async () => {
    const out = fifo();
    const child = await startProcess("sh", ["-c", 'echo "out $PPID"; echo err >&2; ps -o pgid= -p $$; exit 4'], { cwd: "/tmp", env, output: out.file });
    out.started();
    expect(await child.exited).toEqual({ exitCode: 4, signal: null });
    const [first, second, group] = (await out.read()).trim().split("\n");
    expect(first).toBe(`out ${runnerPidForTests()}`);
    expect(second).toBe("err");
    expect(Number(group)).toBe(child.pid);
  });

  it("rejects a command that cannot start, and fails a running one (killing it) when the runner ends", async () => {
    const missing = fifo();
    await expect(startProcess("no-such-command-pwi", [], { cwd: "/tmp", env, output: missing.file })).rejects.toThrow(/ENOENT/);
    missing.started();
    await missing.read();

    const out = fifo();
    const child = await startProcess("sleep", ["30"], { cwd: "/tmp", env, output: out.file });
    out.started();
    process.kill(runnerPidForTests()!, "SIGKILL");
    await expect(child.exited).rejects.toBeInstanceOf(RunnerGone);
    process.kill(-child.pid, "SIGKILL"); // what run-hook does then
    await out.read(); // end of file: nothing holds the FIFO any more
  });
});
