import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import { env } from "@/lib/env";
import { dataPaths } from "@/lib/paths";

let cached: string | undefined;

/**
 * AUTH_SECRET when set; otherwise one generated on first start and kept in
 * DATA_DIR/auth-secret (mode 0600), so restarts keep sessions without configuration.
 */
export function getAuthSecret(): string {
  if (cached) return cached;
  const { AUTH_SECRET, dataDir } = env();
  if (AUTH_SECRET) return (cached = AUTH_SECRET);
  const file = dataPaths.authSecret();
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(48).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  cached = fs.readFileSync(file, "utf8").trim();
  if (cached.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters; delete it to make a new one.`);
  return cached;
}
