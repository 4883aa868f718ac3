import { describe, expect, it } from "vitest";
import { MAX_LINE_BYTES } from "../log-sink";
import { cutLogLine, formatLogLine, parseLogLine, splitLogText } from "./log-line";

describe("application log lines", () => {
  const at = new Date("2026-12-06T07:40:00.123Z");

  it("puts the time first and marks stderr; reads both back", () => {
    expect(formatLogLine("Compiling", at)).toBe("2026-12-06T07:40:00.123Z Compiling");
    expect(formatLogLine("PHP Warning", at, "stderr")).toBe("2026-12-06T07:40:00.123Z [stderr] PHP Warning");
    expect(formatLogLine("GET / 200", null)).toBe("GET / 200");
    expect(parseLogLine("2026-12-06T07:40:00.123Z [stderr] PHP Warning")).toEqual({ at: "2026-12-06T07:40:00.123Z", stream: "stderr", text: "PHP Warning" });
    expect(parseLogLine("2026-12-06T07:40:00.123Z Compiling")).toEqual({ at: "2026-12-06T07:40:00.123Z", stream: "stdout", text: "Compiling" });
    expect(parseLogLine("[stderr] no time")).toEqual({ at: null, stream: "stdout", text: "[stderr] no time" });
  });

  it("splits several lines, drops carriage returns and a trailing newline", () => {
    expect(splitLogText("one")).toEqual(["one"]);
    expect(splitLogText("one\r\ntwo\n")).toEqual(["one", "two"]);
    expect(splitLogText("\n")).toEqual([""]);
    expect(splitLogText("a\n\nb")).toEqual(["a", "", "b"]);
  });

  it("cuts a line over 16 kB on a character boundary, with a marker", () => {
    expect(cutLogLine("x".repeat(MAX_LINE_BYTES))).toHaveLength(MAX_LINE_BYTES);
    const long = "é".repeat(MAX_LINE_BYTES); // two bytes each
    const cut = cutLogLine(long);
    expect(cut).toMatch(/^é+ … \[line cut: 32768 bytes\]$/);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  });
});
