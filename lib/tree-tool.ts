import "server-only";
import path from "node:path";
import { childProcessEnv } from "@/lib/env";
import { runFile } from "@/lib/process-runner";

/**
 * The tree tool (tree-tool-child.mjs): the server's file work on folders whose contents pushed
 * code made — environment data, builds, deployments — in a process of its own (never this
 * thread), beneath a folder it opened itself, never following a link.
 */
/** What the tree tool reports: its totals, and a sentence for each entry it left out. */
export interface TreeResult {
  bytes: number;
  files: number;
  skipped: number;
  /** The first 100 entries left out, each "path: why". */
  skips: string[];
}

const TREE_TOOL = path.join(process.cwd(), "lib", "tree-tool-child.mjs");

/** Runs the tree tool (a process of its own: never this thread, never following a link). */
export async function runTreeTool(op: "copy" | "size" | "remove" | "prepare" | "ensure" | "adopt", args: readonly string[]): Promise<TreeResult & { adopted?: boolean; sizes?: (number | null)[] }> {
  const r = await runFile(process.execPath, [/* turbopackIgnore: true */ TREE_TOOL, op, ...args], { env: childProcessEnv({}) });
  if (r.exitCode !== 0) throw new Error(r.failure ?? (r.stderr.trim().split("\n")[0] || `the tree tool ended with ${r.exitCode ?? r.signal}`));
  const result: TreeResult & { adopted?: boolean; sizes?: (number | null)[] } = { bytes: 0, files: 0, skipped: 0, skips: [] };
  for (const line of r.stdout.split("\n")) {
    if (!line) continue;
    const m = JSON.parse(line) as { skip?: string; why?: string; done?: boolean; bytes?: number; files?: number; skipped?: number; adopted?: boolean; sizes?: (number | null)[] };
    if (m.skip !== undefined) result.skips.push(`${m.skip}: ${m.why}`);
    if (m.done) Object.assign(result, { bytes: m.bytes ?? 0, files: m.files ?? 0, skipped: m.skipped ?? 0, ...(m.adopted !== undefined ? { adopted: m.adopted } : {}), ...(m.sizes ? { sizes: m.sizes } : {}) });
  }
  return result;
}

/** One log line per entry a copy left out (FIFOs, sockets, devices, entries that changed), at most 20, then how many more. */
export function skippedLines(result: Pick<TreeResult, "skips" | "skipped">): string[] {
  const lines = result.skips.slice(0, 20).map((skip) => `Not copied: ${skip}.`);
  if (result.skipped > 20) lines.push(`…and ${result.skipped - 20} more entries not copied.`);
  return lines;
}
