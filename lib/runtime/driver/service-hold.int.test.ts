// A safe snapshot's hold on an environment's services: while it lasts, a copy from that
// environment (Branch, Activate, Sync data) is told to wait, and the wait ends only once the held
// services answer again, so the copy finds them running and copies them by their engines.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordingLog } from "@/lib/runtime/testing-hooks";

process.env.APP_STOP_GRACE = "5";
process.env.APP_START_TIMEOUT = "30";

const { holdLocalServices, localServicesHeld, localServiceStatus, removeLocalServices, startLocalServices } = await import("./local-services");
const { generateServiceCredentials } = await import("@/lib/runtime/services/service-credentials");
const { requireServices } = await import("@/lib/runtime/services/testing-service-clients");

const why = requireServices(["redis-persistent:7.0"]);
const PROJECT = "hold";
const ENV = `env${process.pid}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-hold-"));

afterAll(async () => {
  await removeLocalServices(PROJECT, ENV, "test over", { now: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

(why ? describe.skip : describe)("a safe snapshot's hold", () => {
  it("makes a copy wait until the held services answer again, and is gone after", async () => {
    const log = recordingLog();
    const started = await startLocalServices(PROJECT, ENV, [{ serviceId: "kv", service: { type: "redis-persistent:7.0", disk: 256 }, dataDir, credentials: generateServiceCredentials("redis") }], log.log, undefined, () => undefined);
    expect(started).toEqual({ ok: true });
    expect(localServicesHeld(PROJECT, ENV)).toBeNull();

    let copyFiles = () => {};
    const filesCopied = new Promise<void>((r) => (copyFiles = r));
    let inside = () => {};
    const holding = new Promise<void>((r) => (inside = r));
    const snapshot = holdLocalServices(PROJECT, ENV, ["kv"], log.log, async () => {
      inside();
      await filesCopied;
    });
    await holding;
    const wait = localServicesHeld(PROJECT, ENV);
    expect(wait).not.toBeNull();
    let waitEnded = false;
    void wait!.then(() => (waitEnded = true));
    expect(localServiceStatus(PROJECT, ENV)[0]!.state).not.toBe("running"); // stopped while its files are copied
    await new Promise((r) => setImmediate(r));
    expect(waitEnded).toBe(false);

    copyFiles();
    await wait;
    // When the wait ends, the service answers again: a copy finds it running.
    expect(localServiceStatus(PROJECT, ENV)[0]!.state).toBe("running");
    expect((await snapshot).held).toEqual(["kv"]);
    expect(localServicesHeld(PROJECT, ENV)).toBeNull();
  });
});
