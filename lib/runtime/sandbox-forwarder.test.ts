import { describe, expect, it } from "vitest";
import { forwarderScript } from "./sandbox-forwarder";

describe("forwarderScript", () => {
  it("holds the checked forwards in single quotes; nothing to forward is no script", () => {
    const script = forwarderScript([
      { port: 1025, socket: "/run/pwi-smtp.sock" },
      { port: 5672, socket: "/run/services/queue/amqp.sock" },
    ]);
    expect(script).toContain("for my $f ([1025,'/run/pwi-smtp.sock'],[5672,'/run/services/queue/amqp.sock'])");
    expect(forwarderScript([])).toBe("");
  });

  it("refuses a port or a path it was not meant to take (nothing reaches the script but checked values)", () => {
    for (const bad of [
      { port: 80, socket: "/run/x.sock" },
      { port: 70000, socket: "/run/x.sock" },
      { port: 5672.5, socket: "/run/x.sock" },
      { port: 5672, socket: "/etc/passwd" },
      { port: 5672, socket: "/run/../etc/x" },
      { port: 5672, socket: '/run/x");process.exit(1);("' },
      { port: 5672, socket: "/run/x'];system('id');['" },
      { port: 5672, socket: "/run/x\\" },
      { port: 5672, socket: "/run/x\nsock" },
    ]) {
      expect(() => forwarderScript([bad])).toThrow(/forwarded (port|socket)/);
    }
    expect(() => forwarderScript([{ port: 5672, socket: "/run/a.sock" }, { port: 5672, socket: "/run/b.sock" }])).toThrow(/distinct/);
  });
});
