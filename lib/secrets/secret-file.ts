import "server-only";
import fs from "node:fs";
import path from "node:path";

/**
 * A secret kept in a file of DATA_DIR: made by `make` on first use (mode 0600, created only if
 * absent, so concurrent starts agree on one), then read back as written.
 */
export function readOrCreateSecretFile(file: string, make: () => string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, make(), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return fs.readFileSync(file, "utf8").trim();
}
