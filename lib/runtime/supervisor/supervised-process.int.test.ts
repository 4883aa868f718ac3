import { afterEach, describe, expect, it, vi } from "vitest";
import { boundedStep, KILLED_EXIT_MS, SupervisedProcess, type LineTarget } from "./supervised-process";

function lines(): LineTarget & { all: string[] } {
  const all: string[] = [];
  return { all, line: (text) => void all.push(text) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("SupervisedProcess.stop", () => {
  it("ends even when the killed process is never reported gone, saying so", async () => {
    const events = lines();
    const p = new SupervisedProcess({
      label: "The application",
      // It ignores SIGTERM; SIGKILL is made to miss it below (as a process stuck in the kernel would).
      command: () => ({ file: "/bin/sh", args: ["-c", "trap '' TERM; while :; do sleep 1; done"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, cwd: "/" }),
      stdout: lines(),
      stderr: lines(),
      events,
      graceMs: 0,
    });
    p.start();
    await vi.waitFor(() => expect(p.state).toBe("running"));
    const pid = p.pid!;
    const kill = process.kill.bind(process);
    vi.spyOn(process, "kill").mockImplementation(((target: number, sig?: string | number) => {
      if (sig === "SIGKILL" || sig === "SIGTERM") return true; // they never arrive
      return kill(target, sig);
    }) as typeof process.kill);
    try {
      const started = Date.now();
      await p.stop("Stopping for the test.");
      const took = Date.now() - started;
      expect(p.state).toBe("stopped");
      expect(took).toBeLessThan(3_000 + KILLED_EXIT_MS + 2_000);
      expect(events.all.join("\n")).toMatch(new RegExp(`The application \\(process ${pid}\\) was still not gone \\d+ s after SIGKILL; stopped without waiting for it any longer\\.`));
    } finally {
      vi.restoreAllMocks();
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }, 20_000);

  it("a process that exits on SIGTERM stops without any such line", async () => {
    const events = lines();
    const p = new SupervisedProcess({
      label: "Worker w",
      command: () => ({ file: "/bin/sh", args: ["-c", "exec sleep 60"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, cwd: "/" }),
      stdout: lines(),
      stderr: lines(),
      events,
      graceMs: 5_000,
    });
    p.start();
    await vi.waitFor(() => expect(p.state).toBe("running"));
    const started = Date.now();
    await p.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(p.state).toBe("stopped");
    expect(events.all.join("\n")).not.toMatch(/not gone|did not stop/);
  });
});

describe("boundedStep", () => {
  it("waits for a step that ends, says nothing; leaves one that does not after its bound, saying which", async () => {
    const said: string[] = [];
    await boundedStep(() => new Promise((r) => setTimeout(r, 10)), "A quick step", (l) => said.push(l), 1_000);
    await boundedStep(() => Promise.reject(new Error("no")), "A failing step", (l) => said.push(l), 1_000);
    await boundedStep(() => undefined, "Nothing to do", (l) => said.push(l), 1_000);
    expect(said).toEqual([]);
    const started = Date.now();
    await boundedStep(() => new Promise(() => undefined), "Closing its SMTP endpoint", (l) => said.push(l), 200);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(said).toEqual(["Closing its SMTP endpoint did not finish within 0.2 s; the stop goes on without waiting for it."]);
  });
});
