import "server-only";
import fs from "node:fs";
import path from "node:path";
import { childProcessEnv } from "@/lib/env";
import { runFile } from "@/lib/process-runner";
import { privateTempDir } from "./private-temp";

/**
 * The seccomp filter every sandboxed hook runs under (bubblewrap loads it: `--seccomp FD`).
 * libseccomp compiles it (seccomp-filter.py says which system calls it refuses, and why),
 * through Debian's python3-seccomp, once per server process; the program is kept in a private
 * file (0600, in the process's private temporary folder: private-temp.ts) that each hook's prelude
 * opens and hands to bubblewrap.
 */
export type HookSeccomp = { ok: true; file: string } | { ok: false; reason: string };

/** The Python the Debian bindings are built for (not whichever python3 comes first on PATH). */
const PYTHON = "/usr/bin/python3";
const GENERATOR = path.join(process.cwd(), "lib", "runtime", "seccomp-filter.py");
const INSTALL_HINT = "Debian/Ubuntu: apt-get install python3-seccomp";

let program: Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> | undefined;
let written: string | null = null;
let forced: HookSeccomp | undefined;

async function generate(): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
  if (!fs.existsSync(PYTHON)) return { ok: false, reason: `the seccomp filter cannot be made: ${PYTHON} is not installed (${INSTALL_HINT})` };
  // -I: none of the server's PYTHON* variables, user site or working directory reach it.
  const r = await runFile(PYTHON, ["-I", GENERATOR], { env: childProcessEnv({}) });
  const why = (r.stderr.trim().split("\n").at(-1) || r.failure || `exit ${r.signal ?? r.exitCode}`).trim();
  if (r.exitCode !== 0) return { ok: false, reason: r.exitCode === 3 ? `the seccomp filter cannot be made: ${why}` : `the seccomp filter could not be made (${why})` };
  const bytes = Buffer.from(r.stdout.trim(), "base64");
  if (bytes.length === 0 || bytes.length % 8 !== 0) return { ok: false, reason: `the seccomp filter could not be made (libseccomp gave ${bytes.length} bytes)` };
  return { ok: true, bytes };
}

/**
 * The filter's file, made on first use, or why there is none. It is written again whenever the
 * process's private folder is not the one it was written in (a cleaner removed it): a file at the
 * old path may be someone else's by then (private-temp.ts).
 */
export async function hookSeccomp(): Promise<HookSeccomp> {
  if (forced) return forced;
  program ??= generate();
  const made = await program;
  if (!made.ok) return made;
  const dir = privateTempDir("seccomp");
  if (written && path.dirname(written) === dir && fs.existsSync(written)) return { ok: true, file: written };
  const file = path.join(dir, "hooks.bpf");
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, made.bytes, { mode: 0o600, flag: "wx" });
  written = file;
  return { ok: true, file };
}

/** Tests and benchmarks only: decide instead of generating (undefined: the real filter again). */
export function setHookSeccompForTesting(value: HookSeccomp | undefined): void {
  forced = value;
}
