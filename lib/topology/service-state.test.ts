import { describe, expect, it } from "vitest";
import { CONFIG_FILES, parseProjectConfig } from "@/lib/config/parse-config";
import { projectTemplate } from "@/lib/git/template";
import type { RuntimeState, ServiceStatus, ServiceSupport } from "@/lib/runtime/driver/runtime-driver";
import { buildEnvironmentTopology, withServices } from "./environment-graph";
import { describeService, diskUsedText, serviceLog, type ServiceLine } from "./service-state";

const MIB = 1024 * 1024;
const MARIADB: ServiceSupport = { ok: true, engine: "mariadb", runs: "MariaDB 10.11", note: "mysql:10.6 requested; this host runs MariaDB 10.11" };
const OPENSEARCH: ServiceSupport = { ok: false, reason: "OpenSearch does not run on this host: the service is shown but not started, and relationships leave it out." };

function status(state: RuntimeState, over: Partial<ServiceStatus> = {}): ServiceStatus {
  return { serviceId: "mysql", type: "mysql:10.6", runs: "MariaDB 10.11", state, restarts: 0, rssBytes: state === "running" ? 41 * MIB : 0, pssBytes: 0, startedAt: null, lastExit: null, ...over };
}
const mysql = (s: ServiceStatus | null, host: "active" | "paused" | "inactive" = "active") => describeService({ serviceId: "mysql", support: MARIADB, status: s, host });

describe("a service's state in words", () => {
  it("says Running with what runs it, the version note, its resident memory, its restarts and its log", () => {
    expect(mysql(status("running", { restarts: 2 }))).toEqual({
      label: "Running",
      tone: "success",
      runs: "MariaDB 10.11",
      note: "mysql:10.6 requested; this host runs MariaDB 10.11",
      detail: null,
      memory: "41 MiB",
      restarts: "restarted 2 times",
      log: "service-mysql",
    });
  });

  it("names every state of its instance in words, not only a colour", () => {
    const labels = (["starting", "running", "restarting", "crash-loop", "stopping", "stopped"] as const).map((s) => [mysql(status(s))!.label, mysql(status(s))!.tone]);
    expect(labels).toEqual([
      ["Starting", "progress"],
      ["Running", "success"],
      ["Restarting", "progress"],
      ["Crash loop", "danger"],
      ["Stopping", "progress"],
      ["Stopped", "muted"],
    ]);
    expect(mysql(status("crash-loop", { restarts: 5 }))!.detail).toBe("It keeps exiting within seconds of starting. Its log (service-mysql) says why.");
    expect(mysql(status("restarting"))!.detail).toMatch(/^It exited; it is started again in a moment\./);
    expect(mysql(status("starting"))!.memory).toBeNull(); // no process measured yet
  });

  it("says a type this host does not run does not run here, with the sentence why, whatever the environment does", () => {
    for (const host of ["active", "paused"] as const) {
      expect(describeService({ serviceId: "opensearch", support: OPENSEARCH, status: null, host })).toEqual({
        label: "Does not run here",
        tone: "muted",
        runs: null,
        note: null,
        detail: OPENSEARCH.ok ? null : OPENSEARCH.reason,
        memory: null,
        restarts: null,
        log: null,
      });
    }
  });

  it("says Stopped (paused) while paused, Not running when an active environment's instance is missing, nothing when inactive", () => {
    expect(mysql(null, "paused")).toMatchObject({ label: "Stopped (paused)", tone: "muted", runs: "MariaDB 10.11", memory: null, log: "service-mysql" });
    expect(mysql(null, "active")).toMatchObject({ label: "Not running", tone: "danger", detail: "No instance of it runs now: Redeploy starts it again." });
    expect(mysql(status("running"), "inactive")).toBeNull();
    // Resume starts the services before the pause ends: their own state wins.
    expect(mysql(status("starting"), "paused")!.label).toBe("Starting");
  });

  it("gives a log only to ids a log can have, and the disk as used of its size", () => {
    expect(serviceLog("mysql")).toBe("service-mysql");
    expect(serviceLog("../etc")).toBeNull();
    expect(diskUsedText(12.3 * MIB, 2048)).toBe("12 MiB of 2048 MB");
    expect(diskUsedText(512, 2048)).toBe("512 B of 2048 MB");
    expect(diskUsedText(3 * MIB, undefined)).toBe("3.0 MiB");
  });
});

describe("the topology's service nodes", () => {
  it("carry their service's line on every copy (Pro Production's three nodes too), the graph's shape unchanged", () => {
    const files = projectTemplate("Demo");
    const parsed = parseProjectConfig({ app: files[CONFIG_FILES.app]!, services: files[CONFIG_FILES.services]!, routes: files[CONFIG_FILES.routes]! });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const t = buildEnvironmentTopology({ config: parsed.config, plan: "pro", environmentType: "production", urls: [] });
    const running = mysql(status("running"))!;
    const lines: Record<string, ServiceLine | null> = { mysql: running, opensearch: describeService({ serviceId: "opensearch", support: OPENSEARCH, status: null, host: "active" }) };
    const live = withServices(t, lines);
    expect(live.edges).toBe(t.edges);
    expect(live.nodes.map((n) => n.id)).toEqual(t.nodes.map((n) => n.id));
    expect(live.nodes.filter((n) => n.service?.label === "Running").map((n) => n.id)).toEqual(["node-1:service:mysql", "node-2:service:mysql", "node-3:service:mysql"]);
    expect(live.nodes.find((n) => n.id === "node-1:service:opensearch")!.service!.label).toBe("Does not run here");
    expect(live.nodes.find((n) => n.id === "node-1:service:redis")!.service).toBeUndefined(); // no line given for it
    expect(live.nodes.find((n) => n.id === "node-1:app")!.service).toBeUndefined();
  });
});
