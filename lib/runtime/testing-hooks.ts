import { execFileSync } from "node:child_process";
import type { LogSink } from "./log-sink";

// What the hook tests share (tests only).

/** A log that keeps every line in memory. */
export function recordingLog() {
  const lines: { text: string; stream: string }[] = [];
  const log = { line: (text: string, stream = "stdout") => void lines.push({ text, stream }), isBackedUp: () => false, drained: async () => {} } as unknown as LogSink;
  return { log, lines, text: () => lines.map((l) => l.text).join("\n") };
}

/** A shell function: runs an attempt, prints ESCAPED when it worked and BLOCKED when it did not. */
export const attempt = `attempt() { if ( eval "$2" ) >/dev/null 2>&1; then echo "ESCAPED $1"; else echo "BLOCKED $1"; fi; }`;

/** The command lines of the processes whose arguments contain `marker`. */
export function processesMatching(marker: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", marker], { encoding: "utf8" }).split("\n").filter((l) => l && !l.includes("pgrep"));
  } catch {
    return [];
  }
}

/** Waits (at most `ms`) until `check` holds; says whether it does. */
export async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}
