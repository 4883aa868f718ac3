// The log viewer's data, kept outside React so 100,000 lines cost one array and
// appending stays O(new lines). Pure functions: unit-tested without a browser.

export interface LogLine {
  n: number;
  at: string;
  stream: "stdout" | "stderr" | "system";
  section: string | null;
  text: string;
}

export interface LogSection {
  /** Index in `sections`. */
  index: number;
  name: string | null;
  /** Index in `lines` of its first line, and one past its last. */
  start: number;
  end: number;
  startAt: string;
  endAt: string;
}

export const SECTION_LABEL: Record<string, string> = { build: "Build", deploy: "Deploy", "post-deploy": "Post-deploy" };

/**
 * A row of the virtual list: a line index (>= 0) or a section header (-(section index) - 1).
 * Headers only exist for named sections.
 */
export type Row = number;

export class LogModel {
  lines: LogLine[] = [];
  sections: LogSection[] = [];
  rows: Row[] = [];
  collapsed = new Set<number>();
  /** The most lines kept: past it (by a tenth, so forgetting stays amortised O(1) a line), the oldest go. */
  readonly maxLines: number;

  constructor(options: { maxLines?: number } = {}) {
    this.maxLines = options.maxLines ?? Number.POSITIVE_INFINITY;
  }

  get lastN(): number {
    return this.lines.at(-1)?.n ?? 0;
  }

  /** Appends lines in order; lines at or before the last one are ignored (no duplicates). */
  append(batch: readonly LogLine[]): number {
    let added = 0;
    for (const line of batch) {
      if (line.n <= this.lastN) continue;
      const index = this.lines.length;
      this.lines.push(line);
      added++;
      let section = this.sections.at(-1);
      if (!section || section.name !== line.section) {
        section = { index: this.sections.length, name: line.section, start: index, end: index, startAt: line.at, endAt: line.at };
        this.sections.push(section);
        if (section.name) this.rows.push(-section.index - 1);
      }
      section.end = index + 1;
      section.endAt = line.at;
      if (!this.collapsed.has(section.index)) this.rows.push(index);
    }
    if (this.lines.length > this.maxLines + Math.max(1, Math.floor(this.maxLines / 10))) this.forgetOldest(this.lines.length - this.maxLines);
    return added;
  }

  /** Drops the first `count` lines; sections keep their lines that remain, collapsed or not. */
  private forgetOldest(count: number) {
    this.lines.splice(0, count);
    const sections: LogSection[] = [];
    const collapsed = new Set<number>();
    for (const s of this.sections) {
      if (s.end <= count) continue;
      const start = Math.max(0, s.start - count);
      if (this.collapsed.has(s.index)) collapsed.add(sections.length);
      sections.push({ ...s, index: sections.length, start, end: s.end - count, startAt: s.start < count ? this.lines[start]!.at : s.startAt });
    }
    this.sections = sections;
    this.collapsed = collapsed;
    this.rebuildRows();
  }

  toggle(sectionIndex: number): void {
    if (this.collapsed.has(sectionIndex)) this.collapsed.delete(sectionIndex);
    else this.collapsed.add(sectionIndex);
    this.rebuildRows();
  }

  /** Makes sure the line at `lineIndex` is visible (expands its section); returns its row. */
  reveal(lineIndex: number): number {
    const section = this.sectionOf(lineIndex);
    if (section && this.collapsed.has(section.index)) {
      this.collapsed.delete(section.index);
      this.rebuildRows();
    }
    return this.rowOfLine(lineIndex);
  }

  rowOfLine(lineIndex: number): number {
    // Rows are sorted by line index (headers sit before their section's first line).
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.rows[mid]!;
      const v = r >= 0 ? r : this.sections[-r - 1]!.start - 0.5;
      if (v === lineIndex) return mid;
      if (v < lineIndex) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  sectionOf(lineIndex: number): LogSection | undefined {
    let lo = 0;
    let hi = this.sections.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.sections[mid]!;
      if (lineIndex < s.start) hi = mid - 1;
      else if (lineIndex >= s.end) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Index in `lines` of line number `n` (numbers are contiguous from the first line). */
  indexOfLine(n: number): number {
    const first = this.lines[0]?.n ?? 1;
    const i = n - first;
    return i >= 0 && i < this.lines.length && this.lines[i]!.n === n ? i : -1;
  }

  private rebuildRows() {
    const rows: Row[] = [];
    for (const s of this.sections) {
      if (s.name) rows.push(-s.index - 1);
      if (this.collapsed.has(s.index)) continue;
      for (let i = s.start; i < s.end; i++) rows.push(i);
    }
    this.rows = rows;
  }

  /** Indexes of lines containing `query` (case-insensitive, ANSI codes ignored). */
  search(query: string): number[] {
    const q = query.toLowerCase();
    if (!q) return [];
    const found: number[] = [];
    for (let i = 0; i < this.lines.length; i++) if (stripAnsi(this.lines[i]!.text).toLowerCase().includes(q)) found.push(i);
    return found;
  }

  text(from = 1, to = Number.MAX_SAFE_INTEGER): string {
    return this.lines
      .filter((l) => l.n >= from && l.n <= to)
      .map((l) => stripAnsi(l.text))
      .join("\n");
  }
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string): string {
  return text.includes("\u001b") ? text.replace(ANSI, "") : text;
}

/** `#L120` or `#L120-L140` (either order) → the range, else null. */
export function parseLineHash(hash: string): { from: number; to: number } | null {
  const m = /^#L(\d{1,9})(?:-L?(\d{1,9}))?$/.exec(hash);
  if (!m) return null;
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  return { from: Math.min(a, b), to: Math.max(a, b) };
}

export function lineHash(range: { from: number; to: number }): string {
  return range.from === range.to ? `#L${range.from}` : `#L${range.from}-L${range.to}`;
}

export function sectionDurationMs(section: LogSection): number {
  return Date.parse(section.endAt) - Date.parse(section.startAt);
}
