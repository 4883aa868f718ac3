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

  it("keeps at most maxLines lines: the oldest go, in steps of a tenth, and sections and collapsing follow", () => {
    const m = new LogModel({ maxLines: 10 });
    m.append([line(1, "build"), line(2, "build"), line(3, "build"), line(4, "deploy")]);
    m.toggle(1); // deploy collapsed
    m.append(Array.from({ length: 7 }, (_, i) => line(5 + i, "deploy")));
    expect(m.lines).toHaveLength(11); // within a tenth over: nothing forgotten yet
    m.append([line(12, "deploy")]);
    expect(m.lines.map((l) => l.n)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(m.sections.map((s) => [s.index, s.name, s.start, s.end])).toEqual([
      [0, "build", 0, 1],
      [1, "deploy", 1, 10],
    ]);
    expect(m.sections[0]!.startAt).toBe(line(3, null).at);
    expect([...m.collapsed]).toEqual([1]);
    expect(m.rows).toEqual([-1, 0, -2]);
    expect(m.indexOfLine(12)).toBe(9);
    expect(m.search("line 3")).toEqual([0]);
    m.append(Array.from({ length: 20 }, (_, i) => line(13 + i, "post-deploy")));
    expect(m.sections.map((s) => [s.index, s.name, s.start, s.end])).toEqual([[0, "post-deploy", 0, 10]]);
    expect(m.collapsed.size).toBe(0);
  });
});
