/**
 * Finding the host's programs, for the probes of runtimes (web-server/runtime-types.ts) and of
 * service engines (services/service-host.ts): where they are looked for, and what they print.
 */
import "server-only";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Where programs are looked for: the system directories the sandbox shows. */
export const HOST_PROGRAM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The first of `names` that is an executable file in one of HOST_PROGRAM_DIRS (names in order, then directories), or null. */
export function findProgram(...names: string[]): string | null {
  for (const name of names) {
    for (const dir of HOST_PROGRAM_DIRS) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** The first match of `pattern` in what `file args` prints (stdout or stderr), with PATH = HOST_PROGRAM_DIRS and `env`; null when it does not run. */
export function printedVersion(file: string, args: string[], pattern: RegExp, env: Record<string, string> = {}): string | null {
  const run = spawnSync(file, args, { encoding: "utf8", timeout: 10_000, env: { PATH: HOST_PROGRAM_DIRS.join(":"), ...env } as unknown as NodeJS.ProcessEnv });
  const version = pattern.exec(`${run.stdout ?? ""}\n${run.stderr ?? ""}`)?.[1];
  return run.status === 0 && version ? version : null;
}
