// The services' status file: the process that runs an environment's services writes it, and a
// process that runs none of them (the dashboard, when a worker hosts environments) reads it —
// here the same process with its registry of instances set aside. A writer that is gone, or a
// pid used again by another process, gives no status; a file that is not one the writer made
// (a link, garbage) gives none either.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordingLog } from "@/lib/runtime/testing-hooks";

process.env.APP_STOP_GRACE = "2";
process.env.APP_START_TIMEOUT = "30";

const { localServiceStatus, startLocalServices, stopLocalServices, removeLocalServices } = await import("./local-services");
const { generateServiceCredentials } = await import("@/lib/runtime/services/service-credentials");
const { hostServiceEngine } = await import("@/lib/runtime/services/service-host");
const { sandboxSupport } = await import("@/lib/runtime/sandbox");
const { dataPaths } = await import("@/lib/paths");

const required = Boolean(process.env.CI) || process.env.PWI_REQUIRE_SERVERS === "1";
const sandbox = sandboxSupport();
const engine = hostServiceEngine("redis:7.0");
const why = !sandbox.ok ? sandbox.reason : !engine.ok ? engine.reason : null;
if (why && required) throw new Error(`PWI_REQUIRE_SERVERS=1 and Redis cannot run here: ${why}`);
if (why) console.warn(`\n\n!!! SKIPPED: Redis cannot run here: ${why} !!!\n\n`);

const PROJECT = "status-file";
const ENV = `env${process.pid}`;
const statusFile = path.join(dataPaths.environmentServices(PROJECT, ENV), ".status.json");

/** This process's registry of service instances (local-services.ts keeps it on globalThis). */
const registry = () => (globalThis as Record<symbol, Map<string, unknown>>)[Symbol.for("pwi.runtime.local-services")]!;

/** What another process on this machine, one that runs none of the environment's services, reads. */
function asAnotherProcess<T>(read: () => T): T {
  const key = `${PROJECT}/${ENV}`;
  const mine = registry().get(key);
  registry().delete(key);
  try {
    return read();
  } finally {
    if (mine) registry().set(key, mine);
  }
}

/** A pid no process has now: a child that exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

afterAll(async () => {
  await removeLocalServices(PROJECT, ENV, "test over", { now: true });
});

(why ? describe.skip : describe)("the services' status file", () => {
  it("lets a process that runs none of them see them running (with their memory), and gives nothing once they stop", async () => {
    const log = recordingLog();
    const started = await startLocalServices(PROJECT, ENV, [{ serviceId: "cache", service: { type: "redis:7.0" }, dataDir: null, credentials: generateServiceCredentials("redis") }], log.log, undefined, () => undefined);
    expect(started).toEqual({ ok: true });

    // Written owner-only, renamed into place (no temporary file left), naming its writer.
    const stat = fs.lstatSync(statusFile);
    expect(stat.isFile()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(statusFile)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(JSON.parse(fs.readFileSync(statusFile, "utf8"))).toMatchObject({ host: process.pid, services: [{ serviceId: "cache", state: "running", pid: expect.any(Number) }] });

    const seen = asAnotherProcess(() => localServiceStatus(PROJECT, ENV));
    expect(seen).toEqual([expect.objectContaining({ serviceId: "cache", type: "redis:7.0", state: "running", runs: expect.stringMatching(/^Redis \d/), restarts: 0 })]);
    expect(seen[0]!.rssBytes).toBeGreaterThan(1024 * 1024); // measured by the reader from the sandbox's processes

    await stopLocalServices(PROJECT, ENV, "stopped by the test");
    expect(fs.existsSync(statusFile)).toBe(false);
    expect(asAnotherProcess(() => localServiceStatus(PROJECT, ENV))).toEqual([]);
  });

  it("gives no status when its writer is gone, when its pid is another process's now, or when the file is not the writer's", () => {
    fs.mkdirSync(path.dirname(statusFile), { recursive: true, mode: 0o700 });
    const service = { serviceId: "db", type: "mysql:10.6", runs: "MariaDB 10.11", state: "running", restarts: 0, startedAt: null, lastExit: null, pid: null };
    const start = (pid: number) => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    };
    const write = (content: unknown) => fs.writeFileSync(statusFile, typeof content === "string" ? content : JSON.stringify(content), { mode: 0o600 });
    const read = () => asAnotherProcess(() => localServiceStatus(PROJECT, ENV));

    // The control: a live writer (this process, its start time) is believed.
    write({ host: process.pid, hostStart: start(process.pid), services: [service] });
    expect(read()).toEqual([expect.objectContaining({ serviceId: "db", state: "running", rssBytes: 0 })]);

    write({ host: deadPid(), hostStart: "1", services: [service] });
    expect(read()).toEqual([]);
    // This pid is alive, but it started at another time than the writer did: it is not the writer.
    write({ host: process.pid, hostStart: "1", services: [service] });
    expect(read()).toEqual([]);

    // Entries that are not what a writer makes are left out; garbage and a link give nothing.
    write({ host: process.pid, hostStart: start(process.pid), services: [{ ...service, state: "exploded" }, { ...service, serviceId: 7 }, null, { ...service, serviceId: "redis", pid: -1 }] });
    expect(read().map((s) => s.serviceId)).toEqual(["redis"]);
    write("{ not json");
    expect(read()).toEqual([]);
    const elsewhere = path.join(fs.mkdtempSync(path.join(process.env.DATA_DIR!, "test-status-")), "status.json");
    fs.writeFileSync(elsewhere, JSON.stringify({ host: process.pid, hostStart: start(process.pid), services: [service] }));
    fs.rmSync(statusFile);
    fs.symlinkSync(elsewhere, statusFile);
    expect(read()).toEqual([]);
    fs.rmSync(statusFile);
  });
});
