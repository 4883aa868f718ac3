/**
 * The lines of a configuration file that define one node, as written (not re-serialized), with
 * the number of the first: a top-level key's block (a service in services.yaml), or the whole
 * file (the application, the routes). Found by indentation alone — no YAML parse — so it is
 * linear and safe on any file. Pure.
 */
export interface SourceExcerpt {
  file: string;
  firstLine: number;
  lines: string[];
  /** Lines left out past the limit. */
  more: number;
}

export const MAX_EXCERPT_LINES = 200;

export function sourceExcerpt(file: string, text: string, key: string | null): SourceExcerpt | null {
  const all = text.replace(/\r\n?/g, "\n").split("\n");
  if (all.at(-1) === "") all.pop();
  let start = 0;
  let end = all.length;
  if (key !== null) {
    const head = new RegExp(`^(?:${escape(key)}|"${escape(key)}"|'${escape(key)}')\\s*:`);
    start = all.findIndex((line) => head.test(line));
    if (start < 0) return null;
    end = start + 1;
    // The block runs while lines are indented, blank or comments; the next top-level key ends it.
    while (end < all.length && (/^\s/.test(all[end]!) || all[end]!.trim() === "" || all[end]!.startsWith("#"))) end++;
    while (end > start + 1 && (all[end - 1]!.trim() === "" || all[end - 1]!.startsWith("#"))) end--;
  }
  const lines = all.slice(start, end);
  return { file, firstLine: start + 1, lines: lines.slice(0, MAX_EXCERPT_LINES), more: Math.max(0, lines.length - MAX_EXCERPT_LINES) };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
