/**
 * One line of an application log as it is stored, and read back. Pure: the console parses the
 * lines it is sent with the same functions.
 *
 * The writer puts the time (UTC, milliseconds) and a space before each line of every log but
 * access, and marks a line the process wrote to stderr with `[stderr] ` after the time:
 *
 *   2026-12-06T07:40:00.123Z Compiling assets
 *   2026-12-06T07:40:00.456Z [stderr] PHP Warning: …
 *
 * Access lines are written as the router gives them; it starts each with the same kind of time,
 * so the console reads their time the same way.
 */
import { CUT_KEEP_BYTES, MAX_LINE_BYTES } from "../log-sink";

export type AppLogStream = "stdout" | "stderr";

const STDERR_MARK = "[stderr] ";
const TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) /;

/** A line over MAX_LINE_BYTES (16 kB) cut to CUT_KEEP_BYTES with a visible marker. */
export function cutLogLine(text: string): string {
  if (text.length * 3 <= MAX_LINE_BYTES) return text; // (no UTF-16 unit takes more than 3 bytes in UTF-8)
  const bytes = Buffer.byteLength(text);
  if (bytes <= MAX_LINE_BYTES) return text;
  const head = Buffer.from(text).subarray(0, CUT_KEEP_BYTES).toString("utf8").replace(/\uFFFD$/, "");
  return `${head} … [line cut: ${bytes} bytes]`;
}

/** The text split into lines (a process may hand over several at once); a trailing newline makes no empty line. */
export function splitLogText(text: string): string[] {
  if (!text.includes("\n") && !text.endsWith("\r")) return [text];
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.length > 1 && lines.at(-1) === "") lines.pop();
  return lines;
}

/** A line as stored (without its newline): `at` null for a log whose writer adds no time (access). */
export function formatLogLine(text: string, at: Date | null, stream: AppLogStream = "stdout"): string {
  const body = stream === "stderr" ? `${STDERR_MARK}${text}` : text;
  return at ? `${at.toISOString()} ${body}` : body;
}

/** A stored line read back: its time if it starts with one (else null), its stream, and its text. */
export function parseLogLine(line: string): { at: string | null; stream: AppLogStream; text: string } {
  const m = TIME.exec(line);
  if (!m) return { at: null, stream: "stdout", text: line };
  const rest = line.slice(m[0].length);
  return rest.startsWith(STDERR_MARK) ? { at: m[1]!, stream: "stderr", text: rest.slice(STDERR_MARK.length) } : { at: m[1]!, stream: "stdout", text: rest };
}
