import "server-only";
import crypto from "node:crypto";
import { env } from "@/lib/env";
import { dataPaths } from "@/lib/paths";
import { readOrCreateSecretFile } from "@/lib/secrets/secret-file";

let cached: string | undefined;

/**
 * AUTH_SECRET when set; otherwise one generated on first start and kept in
 * DATA_DIR/auth-secret (mode 0600), so restarts keep sessions without configuration.
 */
export function getAuthSecret(): string {
  if (cached) return cached;
  const { AUTH_SECRET } = env();
  if (AUTH_SECRET) return (cached = AUTH_SECRET);
  const file = dataPaths.authSecret();
  cached = readOrCreateSecretFile(file, () => crypto.randomBytes(48).toString("base64url"));
  if (cached.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters; delete it to make a new one.`);
  return cached;
}
