import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { forwarderScript, FORWARDER_NAME } from "./sandbox-forwarder";
import { commandName, descendants } from "./supervisor/process-tree";

// The forwarder's script as a sandbox runs it, here on the host: a free port, and its socket
// (a path under /run inside a sandbox) put in a folder of the test's.
const dir = fs.mkdtempSync(path.join(process.env.DATA_DIR!, "fwd-"));
const socket = path.join(dir, "s.sock");
const started: number[] = [];
afterAll(() => {
  for (const pid of started) for (const p of [...descendants(pid), pid]) process.kill(p, "SIGKILL");
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts the forwarder from port to the test's socket; returns once it listens, with its serving process's id. */
async function forward(port: number): Promise<number> {
  const script = forwarderScript([{ port, socket: "/run/t.sock" }]).replace("'/run/t.sock'", `'${socket}'`);
  const r = spawnSync("perl", ["-e", script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  expect(r.status).toBe(0);
  const pid = Number(r.stdout.trim());
  started.push(pid);
  return pid;
}

describe("the sandbox's port forwarder", () => {
  it("listens when it returns, and copies both ways at once: a side that writes all before it reads never stalls", async () => {
    const size = 64 * 1024 * 1024;
    const payload = Buffer.alloc(size, 7);
    // The far side reads everything it is sent while it sends as much back, each at its own pace.
    const server = net.createServer((c) => {
      let got = 0;
      c.on("data", (d: Buffer) => void (got += d.length));
      c.on("end", () => c.end(`\nread ${got}`));
      c.write(payload);
    });
    await new Promise<void>((r) => server.listen(socket, r));
    const port = await freePort();
    const pid = await forward(port);
    expect(commandName(pid)).toBe(FORWARDER_NAME);

    const client = net.connect(port, "127.0.0.1");
    client.pause(); // nothing read until all is written
    const chunks: Buffer[] = [];
    const done = new Promise<string>((resolve, reject) => {
      client.on("data", (d: Buffer) => chunks.push(d));
      client.on("end", () => resolve(Buffer.concat(chunks).subarray(size).toString()));
      client.on("error", reject);
    });
    await new Promise<void>((r) => client.end(payload, () => r()));
    client.resume();
    expect(await done).toBe(`\nread ${size}`);
    expect(Buffer.concat(chunks).length).toBe(size + `\nread ${size}`.length);
    await new Promise((r) => server.close(r));
  }, 15_000);

  it("closes a connection at once when its socket is not there, and goes on serving", async () => {
    fs.rmSync(socket, { force: true });
    const port = await freePort();
    await forward(port);
    for (let i = 0; i < 3; i++) {
      const client = net.connect(port, "127.0.0.1");
      await new Promise<void>((resolve, reject) => {
        client.on("close", () => resolve());
        client.on("error", reject);
        client.resume();
      });
    }
  });
});
