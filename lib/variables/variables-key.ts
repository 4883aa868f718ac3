import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import { env } from "@/lib/env";
import { dataPaths } from "@/lib/paths";

let cached: Buffer | undefined;

/**
 * The key that seals sensitive variables: VARIABLES_KEY when set, else one generated on first
 * use and kept in DATA_DIR/variables-key (mode 0600), as the session secret is. Several servers
 * sharing one database need the same VARIABLES_KEY.
 */
export function getVariablesKey(): Buffer {
  if (cached) return cached;
  const { VARIABLES_KEY, dataDir } = env();
  if (VARIABLES_KEY) return (cached = Buffer.from(VARIABLES_KEY, "base64"));
  const file = dataPaths.variablesKey();
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString("base64"), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte key; restore it from a backup (deleting it makes saved sensitive variables unreadable).`);
  return (cached = key);
}

/** For tests: forget the cached key after changing VARIABLES_KEY or DATA_DIR. */
export function resetVariablesKeyForTests(): void {
  cached = undefined;
}
