import { describe, expect, it } from "vitest";
import { LogModel, lineHash, parseLineHash, stripAnsi, type LogLine } from "./log-model";

function line(n: number, section: string | null, text = `line ${n}`): LogLine {
  return { n, at: new Date(1_700_000_000_000 + n * 1000).toISOString(), stream: "stdout", section, text };
}

describe("LogModel", () => {
  it("groups lines into sections with headers, and ignores lines it already has", () => {
    const m = new LogModel();
    m.append([line(1, null), line(2, "build"), line(3, "build")]);
    m.append([line(3, "build"), line(4, "deploy")]);
    expect(m.lines.map((l) => l.n)).toEqual([1, 2, 3, 4]);
    expect(m.sections.map((s) => [s.name, s.start, s.end])).toEqual([
      [null, 0, 1],
      ["build", 1, 3],
      ["deploy", 3, 4],
    ]);
    expect(m.rows).toEqual([0, -2, 1, 2, -3, 3]);
    expect(Date.parse(m.sections[1]!.endAt) - Date.parse(m.sections[1]!.startAt)).toBe(1000);
  });

  it("collapses a section, keeps appending to a collapsed one hidden, and reveals a line", () => {
    const m = new LogModel();
    m.append([line(1, "build"), line(2, "build")]);
    m.toggle(0);
    m.append([line(3, "build"), line(4, "deploy")]);
    expect(m.rows).toEqual([-1, -2, 3]);
    expect(m.rowOfLine(1)).toBe(-1);
    expect(m.reveal(1)).toBe(2);
    expect(m.rows).toEqual([-1, 0, 1, 2, -2, 3]);
  });

  it("searches without ANSI codes and copies a range of lines", () => {
    const m = new LogModel();
    m.append([line(1, null, "\u001b[32mGreen\u001b[0m ok"), line(2, null, "other"), line(3, null, "green again")]);
    expect(m.search("green")).toEqual([0, 2]);
    expect(m.search("")).toEqual([]);
    expect(m.text(1, 2)).toBe("Green ok\nother");
    expect(m.indexOfLine(3)).toBe(2);
    expect(m.indexOfLine(9)).toBe(-1);
  });
});

describe("line links", () => {
  it("parses #L120 and ranges in either order, and refuses anything else", () => {
    expect(parseLineHash("#L120")).toEqual({ from: 120, to: 120 });
    expect(parseLineHash("#L140-L120")).toEqual({ from: 120, to: 140 });
    expect(parseLineHash("#L1-2")).toEqual({ from: 1, to: 2 });
    expect(parseLineHash("#L")).toBeNull();
    expect(parseLineHash("#foo")).toBeNull();
    expect(lineHash({ from: 3, to: 3 })).toBe("#L3");
    expect(lineHash({ from: 3, to: 9 })).toBe("#L3-L9");
  });

  it("strips colour codes", () => {
    expect(stripAnsi("\u001b[1;31merror\u001b[0m")).toBe("error");
  });
});
