// The readiness check against a hostile engine: whatever a service's sandbox writes to its socket,
// the server's probe ends within its 3 s, reads at most 64 KiB, and puts no control character of
// the engine's into a log line. (A real RabbitMQ's answers are in service-instance.int.test.ts.)
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { probeService } from "./service-readiness";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-probe-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const credentials = { username: "guest", password: "p".repeat(32), adminPassword: "a".repeat(32) };

/** A fake broker on a Unix socket that answers each connection with `answer`. */
async function fakeBroker(name: string, answer: (c: net.Socket) => void): Promise<{ socket: string; close(): void }> {
  const socket = path.join(dir, name);
  const server = net.createServer((c) => {
    c.on("error", () => undefined);
    c.once("data", () => answer(c));
  });
  await new Promise<void>((r) => server.listen(socket, () => r()));
  return { socket, close: () => server.close() };
}

/** One AMQP method frame on channel 0. */
const frame = (classId: number, methodId: number, args: Buffer) => {
  const payload = Buffer.concat([Buffer.from([classId >> 8, classId & 0xff, methodId >> 8, methodId & 0xff]), args]);
  const head = Buffer.alloc(7);
  head[0] = 1;
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([0xce])]);
};

describe("probing a RabbitMQ that lies", () => {
  it("a 4 GB frame that never ends is cut at 64 KiB; silence ends at 3 s; a refusal's text loses its control characters", async () => {
    const endless = await fakeBroker("endless.sock", (c) => {
      const head = Buffer.alloc(7);
      head[0] = 1;
      head.writeUInt32BE(0xffffffff, 3);
      c.write(head);
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (!c.destroyed && c.write(chunk));
        if (!c.destroyed) c.once("drain", pump);
      };
      pump();
    });
    const silent = await fakeBroker("silent.sock", () => undefined);
    const close = Buffer.concat([Buffer.from([1, 0x93]), Buffer.from([22]), Buffer.from("NO\n[deploy] \u001b[31mfake\u0007 line"), Buffer.alloc(4)]);
    const refusing = await fakeBroker("refusing.sock", (c) => c.write(frame(10, 50, close)));
    try {
      const t0 = Date.now();
      expect(await probeService("rabbitmq", endless.socket, credentials)).toEqual({ ready: false, detail: "an answer too long for a greeting" });
      expect(Date.now() - t0).toBeLessThan(3000);
      const t1 = Date.now();
      expect(await probeService("rabbitmq", silent.socket, credentials)).toEqual({ ready: false, detail: "no answer within 3 s" });
      expect(Date.now() - t1).toBeLessThan(4500);
      const refused = await probeService("rabbitmq", refusing.socket, credentials);
      expect(refused.ready).toBe(false);
      if (!refused.ready) expect(refused.detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    } finally {
      for (const b of [endless, silent, refusing]) b.close();
    }
  });

  it("never follows a link put where the socket should be", async () => {
    const real = await fakeBroker("real.sock", (c) => c.write(frame(10, 30, Buffer.alloc(8))));
    const link = path.join(dir, "link.sock");
    fs.symlinkSync(real.socket, link);
    try {
      expect(await probeService("rabbitmq", real.socket, credentials)).toMatchObject({ ready: false }); // a Tune before any Start: not a login
      expect(await probeService("rabbitmq", link, credentials)).toMatchObject({ ready: false, detail: expect.stringMatching(/ELOOP|ENOTSOCK|refused|link/i) });
    } finally {
      real.close();
    }
  });
});
