import net from "node:net";
import { describe, expect, it } from "vitest";
import { pushGate, terminalLine, type RefUpdate } from "./push-gate";

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);

/** Sends a hook's request to the gate in pieces (as a pipe may deliver it) and reads the answer. */
function ask(socketPath: string, pieces: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socketPath);
    let answer = "";
    conn.setEncoding("utf8");
    conn.on("data", (d: string) => (answer += d));
    conn.on("end", () => resolve(answer));
    conn.on("error", reject);
    conn.on("connect", async () => {
      for (const piece of pieces) {
        conn.write(piece);
        await new Promise((r) => setTimeout(r, 30)); // each piece its own read on the server
      }
    });
  });
}

describe("the push gate", () => {
  it("decides on the whole request, even when a read ends inside a line that ends in “end”", async () => {
    const gate = await pushGate();
    const seen: RefUpdate[][] = [];
    const ticket = gate.issue(
      async (updates) => {
        seen.push(updates);
        return updates.some((u) => u.ref === "refs/heads/staging") ? "Pushing to Staging environments needs the contributor role." : null;
      },
      async () => ({ lines: [] }),
    );
    try {
      const answer = await ask(gate.socketPath, [`ticket ${ticket.id}\noption ${"x".repeat(100)}end\n`, `update ${SHA_A} ${SHA_B} refs/heads/staging\nend\n`]);
      expect(answer).toMatch(/^refused\n/);
      expect(seen).toEqual([[{ oldSha: SHA_A, newSha: SHA_B, ref: "refs/heads/staging" }]]);
      // What the gate accepted (nothing, here) is what the proc-receive hook may apply.
      expect(await ask(gate.socketPath, [`accepted ${ticket.id}\nend\n`])).toBe("");
    } finally {
      ticket.close();
    }
  });

  it("tells the proc-receive hook exactly the updates it accepted", async () => {
    const gate = await pushGate();
    const ticket = gate.issue(async () => null, async () => ({ lines: [] }));
    try {
      expect(await ask(gate.socketPath, [`ticket ${ticket.id}\nupdate ${SHA_A} ${SHA_B} refs/heads/feature\nend\n`])).toBe("ok\n");
      expect(await ask(gate.socketPath, [`accepted ${ticket.id}\nend\n`])).toBe(`accept ${SHA_A} ${SHA_B} refs/heads/feature\n`);
      expect(await ask(gate.socketPath, [`accepted ${"z".repeat(32)}\nend\n`])).toBe(""); // not a ticket: nothing
    } finally {
      ticket.close();
    }
  });

  it("keeps a build's output from driving the pusher's terminal", () => {
    expect(terminalLine("\x1b[31mred\x1b[0m plain")).toBe("red plain");
    expect(terminalLine("a\rb\nc")).toBe("a b c");
    expect(terminalLine("\u009b2J\u009d2;pwned\u009c\u0007 x")).toBe("2J2;pwned x"); // C1 controls (CSI, OSC, ST) and BEL
    expect(terminalLine("abc\u202Efdp.exe\u2066")).toBe("abcfdp.exe"); // text-direction overrides
    expect(terminalLine("tab\tkept, ünïcödé kept")).toBe("tab\tkept, ünïcödé kept");
  });
});
