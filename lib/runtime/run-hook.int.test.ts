import os from "node:os";
import { describe, expect, it } from "vitest";
import type { LogSink } from "./log-sink";
import { runHook } from "./run-hook";

/** A log that records lines; `backedUp` makes the reader stop until `release()`. */
function recordingLog(backedUp = false) {
  const lines: { text: string; stream: string }[] = [];
  let release = () => {};
  const drained = new Promise<void>((resolve) => {
    release = () => {
      backedUp = false;
      resolve();
    };
  });
  const log = {
    line: (text: string, stream: string) => void lines.push({ text, stream }),
    isBackedUp: () => backedUp,
    drained: () => drained,
  } as unknown as LogSink;
  return { log, lines, release };
}

const hook = (script: string, log: LogSink) => runHook({ script, phase: "build", sandbox: { appDir: os.tmpdir(), appWritable: true, binds: [], network: false }, env: {}, log });

describe("runHook", () => {
  it("passes control characters in a hook's output through as they are (a NUL, an escape sequence, a bell)", async () => {
    const { log, lines } = recordingLog();
    const result = await hook("printf 'a\\000b \\033[31mred\\033[0m \\007end\\n'", log);
    expect(result.exitCode).toBe(0);
    expect(lines.map((l) => l.text)).toEqual(["a\u0000b \u001b[31mred\u001b[0m \u0007end"]);
  });

  it("logs every stdout and stderr line in order, cuts an over-long line while reading it, keeps a last line without a newline", async () => {
    const { log, lines } = recordingLog();
    const result = await hook(
      [
        "for i in $(seq 1 3000); do echo \"out $i\"; done",
        "echo 'to stderr' >&2",
        "printf 'crlf\\r\\n'",
        // 40,000 bytes of two-byte characters, in two reads: cut while it is read (the
        // LogSink cuts a long line that arrives whole).
        "printf 'é%.0s' $(seq 1 10000); sleep 0.2; printf 'é%.0s' $(seq 1 10000); echo",
        "printf 'no newline'",
        "exit 3",
      ].join("\n"),
      log,
    );
    expect(result.exitCode).toBe(3);
    // stdout and stderr share one pipe, so the log has them in the order they were written.
    const out = lines.map((l) => l.text);
    expect(out.slice(0, 3000)).toEqual(Array.from({ length: 3000 }, (_, i) => `out ${i + 1}`));
    expect(out[3000]).toBe("to stderr");
    expect(out[3001]).toBe("crlf");
    expect(out[3002]).toMatch(/^é+ … \[line cut: 40000 bytes\]$/);
    expect(Buffer.byteLength(out[3002]!)).toBeLessThanOrEqual(16 * 1024);
    expect(out[3003]).toBe("no newline");
  });

  it("keeps a hook's order across stdout and stderr, however fast it alternates", async () => {
    const { log, lines } = recordingLog();
    await hook("for i in $(seq 1 200); do echo \"a $i\"; echo \"b $i\"; echo \"c $i\" >&2; done", log);
    expect(lines.map((l) => l.text)).toEqual(Array.from({ length: 200 }, (_, i) => [`a ${i + 1}`, `b ${i + 1}`, `c ${i + 1}`]).flat());
  });

  it("gives the hook's pipes a 1 MiB buffer", async () => {
    const { log, lines } = recordingLog();
    await hook("perl -e 'print fcntl(STDOUT, 1032, 0), \"\\n\"'; perl -e 'print STDERR fcntl(STDERR, 1032, 0), \"\\n\"'", log);
    expect(lines.map((l) => l.text)).toEqual(["1048576", "1048576"]);
  });

  it("stops reading while the log is backed up, so the hook waits on its pipe, and goes on when it drains", async () => {
    const { log, lines, release } = recordingLog(true);
    // 4 MiB of output: more than the pipe holds, so the hook cannot finish unread.
    const running = hook("head -c 4194304 /dev/zero | tr '\\0' 'x' | fold -w 1023; echo; echo done", log);
    let finished = false;
    void running.then(() => (finished = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(finished).toBe(false);
    release();
    const result = await running;
    expect(result.exitCode).toBe(0);
    expect(lines.at(-1)!.text).toBe("done");
    expect(lines.filter((l) => l.text.length === 1023)).toHaveLength(4100);
  });

  it("ends when the hook exits even if it printed nothing", async () => {
    const { log, lines } = recordingLog();
    const t0 = Date.now();
    expect((await hook("true", log)).exitCode).toBe(0);
    expect(lines).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("gives a hook's variables to the sandbox only: PERL5OPT, LD_PRELOAD and BASH_ENV never act on the host processes that set it up", async () => {
    const { log, lines } = recordingLog();
    const result = await runHook({
      script: 'echo "inside: $PERL5OPT $LD_PRELOAD"',
      phase: "deploy",
      sandbox: { appDir: os.tmpdir(), appWritable: false, binds: [], network: false },
      env: { PERL5OPT: "-MPwiNoSuchModule", LD_PRELOAD: "/nonexistent/evil.so", BASH_ENV: "/nonexistent/evil.sh" },
      log,
    });
    const text = lines.map((l) => l.text).join("\n");
    expect(result.exitCode, text).toBe(0);
    expect(text).toContain("inside: -MPwiNoSuchModule /nonexistent/evil.so");
    // (LD_PRELOAD is tried, and refused, by the sandbox's own programs; PERL5OPT would have stopped the host's perl.)
    expect(text).not.toMatch(/Can't locate|PwiNoSuchModule\.pm/);
  });
});
