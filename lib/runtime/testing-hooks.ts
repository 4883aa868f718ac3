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

/** What an environment's site answers at `sitePath`, asked through its environment router (tests only). */
export async function fetchSite(projectId: string, environmentName: string, sitePath = "/"): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const { createEnvironmentRouter } = await import("./router");
  const { getDatabase } = await import("@/db/client");
  const server = createEnvironmentRouter(async () => (await getDatabase()).db);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/${projectId}/${environmentName}${sitePath}`);
    return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers.entries()) };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
