// A benchmark's scratch folders: removed when the benchmark's process exits, however it ends
// (BENCH_KEEP=1 keeps them to look at).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A new folder `<prefix>XXXXXX` in BENCH_DIR (else the system's temporary directory), removed at exit. */
export function benchTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), prefix));
  if (process.env.BENCH_KEEP !== "1") process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
