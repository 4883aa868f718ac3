import "server-only";
import crypto from "node:crypto";
import { env } from "@/lib/env";
import { dataPaths } from "@/lib/paths";
import { readOrCreateSecretFile } from "./secret-file";

let cached: Buffer | undefined;

/**
 * The key that seals secrets kept in the database (sensitive variables, Production's mail relay
 * password): VARIABLES_KEY when set, else one generated on first use and kept in
 * DATA_DIR/variables-key (mode 0600), as the session secret is. Several servers sharing one
 * database need the same VARIABLES_KEY.
 */
export function getSecretsKey(): Buffer {
  if (cached) return cached;
  const { VARIABLES_KEY } = env();
  if (VARIABLES_KEY) return (cached = Buffer.from(VARIABLES_KEY, "base64"));
  const file = dataPaths.variablesKey();
  const key = Buffer.from(readOrCreateSecretFile(file, () => crypto.randomBytes(32).toString("base64")), "base64");
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte key; restore it from a backup (deleting it makes saved sensitive variables unreadable).`);
  return (cached = key);
}

/** For tests: forget the cached key after changing VARIABLES_KEY or DATA_DIR. */
export function resetSecretsKeyForTests(): void {
  cached = undefined;
}
