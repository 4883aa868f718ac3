import { describe, expect, it } from "vitest";
import type { EnvironmentRuntimeStatus, ProcessStatus, RuntimeState } from "@/lib/runtime/driver/runtime-driver";
import { describeNodeRuntime, describeSite, restartsText, type EnvironmentSite } from "./site-status";

const MIB = 1024 * 1024;

function proc(name: string, state: RuntimeState, over: Partial<ProcessStatus> = {}): ProcessStatus {
  return { name, state, restarts: 0, rssBytes: 0, pssBytes: 0, processes: state === "running" ? 3 : 0, startedAt: null, lastExit: null, ...over };
}

function running(processes: ProcessStatus[], over: Partial<EnvironmentRuntimeStatus> = {}): EnvironmentSite {
  return { kind: "runtime", runtime: { releaseId: "r1", state: processes[0]!.state, runs: "PHP 8.2.36 (PHP-FPM) behind nginx", note: null, processes, ...over } };
}

describe("the site line of an environment's page", () => {
  it("says Up with what runs it, the memory of all its processes (PSS) and the web process's restarts", () => {
    const line = describeSite(running([proc("web", "running", { pssBytes: 25 * MIB, restarts: 2 }), proc("worker:queue", "running", { pssBytes: 6 * MIB })]))!;
    expect(line).toMatchObject({ label: "Up", tone: "success", facts: ["PHP 8.2.36 (PHP-FPM) behind nginx", "31 MiB", "restarted 2 times"], detail: null, log: null });
    expect(line.workers).toEqual([{ name: "queue", label: "running", tone: "success", facts: ["6.0 MiB", "no restarts"], log: "worker-queue" }]);
  });

  it("keeps the runtime's note (another version than the one asked for)", () => {
    expect(describeSite(running([proc("web", "running")], { note: "php:8.3 requested; this host runs PHP 8.2" }))!.note).toBe("php:8.3 requested; this host runs PHP 8.2");
  });

  it("says Starting…, Restarting with the count, and a crash loop with the app log to read", () => {
    expect(describeSite(running([proc("web", "starting")]))).toMatchObject({ label: "Starting…", tone: "progress", log: null });
    expect(describeSite(running([proc("web", "starting", { restarts: 1 })]))).toMatchObject({ label: "Starting… (restarted once)", log: "app" });
    expect(describeSite(running([proc("web", "restarting", { restarts: 3 })]))).toMatchObject({ label: "Restarting (restarted 3 times)", tone: "progress", log: "app" });
    expect(describeSite(running([proc("web", "restarting")]))!.label).toBe("Restarting");
    const loop = describeSite(running([proc("web", "crash-loop", { restarts: 4 })]))!;
    expect(loop).toMatchObject({ label: "Crash loop", tone: "danger", log: "app" });
    expect(loop.detail).toMatch(/^The application keeps exiting within seconds of starting.*Its app\.log says why\.$/);
    expect(describeSite(running([proc("web", "stopped")]))).toMatchObject({ label: "Stopped", tone: "muted" });
    expect(describeSite(running([proc("web", "stopping")]))).toMatchObject({ label: "Stopping", tone: "progress" });
  });

  it("follows the web process: a worker in a crash loop leaves the site Up and is listed in danger with its log", () => {
    const line = describeSite(running([proc("web", "running", { pssBytes: MIB }), proc("worker:mail", "crash-loop", { restarts: 5 })], { state: "crash-loop" }))!;
    expect(line).toMatchObject({ label: "Up", tone: "success" });
    expect(line.workers[0]).toEqual({ name: "mail", label: "crash loop", tone: "danger", facts: ["restarted 5 times"], log: "worker-mail" });
  });

  it("says why nothing runs: paused, static (with the deploy's reason), not running, not deployed; nothing for an inactive one", () => {
    expect(describeSite({ kind: "paused" })).toMatchObject({ label: "Paused", tone: "muted", workers: [] });
    expect(describeSite({ kind: "static", reason: "This host cannot run the application: python 3.12 is not installed." })).toMatchObject({
      label: "Served as static files",
      detail: "This host cannot run the application: python 3.12 is not installed.",
    });
    expect(describeSite({ kind: "not-running" })).toMatchObject({ label: "Not running", tone: "danger" });
    expect(describeSite({ kind: "not-deployed" })).toMatchObject({ label: "Not deployed yet" });
    expect(describeSite({ kind: "inactive" })).toBeNull();
  });

  it("counts restarts in words", () => {
    expect([0, 1, 2].map(restartsText)).toEqual(["no restarts", "restarted once", "restarted 2 times"]);
  });
});

describe("a topology node's runtime badge", () => {
  it("is its own process's state, memory, restarts and log", () => {
    const site = running([proc("web", "running", { pssBytes: 2 * MIB, restarts: 1 }), proc("worker:queue", "restarting", { restarts: 2 })]);
    expect(describeNodeRuntime(site, "web")).toEqual({ name: "web", label: "running", tone: "success", facts: ["2.0 MiB", "restarted once"], log: "app" });
    expect(describeNodeRuntime(site, "worker:queue")).toMatchObject({ label: "restarting", tone: "progress", facts: ["restarted 2 times"], log: "worker-queue" });
    // A worker of the configuration that the running release does not run.
    expect(describeNodeRuntime(site, "worker:gone")).toMatchObject({ label: "not running", tone: "danger", log: "worker-gone" });
  });

  it("is the whole site's state when nothing runs", () => {
    expect(describeNodeRuntime({ kind: "paused" }, "web")).toMatchObject({ label: "paused" });
    expect(describeNodeRuntime({ kind: "static", reason: "x" }, "web")).toMatchObject({ label: "static files" });
    expect(describeNodeRuntime({ kind: "static", reason: "x" }, "worker:queue")).toMatchObject({ label: "not run (static site)" });
    expect(describeNodeRuntime({ kind: "inactive" }, "web")).toBeNull();
  });
});
