import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { env as appEnv } from "@/lib/env";
import { dataPaths, removeTree } from "@/lib/paths";
import { open as openSealed, seal } from "@/lib/secrets/secret-box";
import { getSecretsKey } from "@/lib/secrets/secrets-key";

/** A Unix socket's path must fit in 108 bytes (sun_path), its terminating zero included. */
const MAX_SOCKET_PATH = 107;

/** A running release's short id: its runtime directory's name. */
export function releaseKey(projectId: string, environmentName: string, releaseId: string): string {
  return crypto.createHash("sha256").update(`${projectId}/${environmentName}/${releaseId}`).digest("hex").slice(0, 16);
}

/**
 * A release's runtime directory: `sock/` (its sockets, bound at /run/app in its sandbox; the
 * router connects to `sock/web.sock`) and `conf/` (the nginx and PHP-FPM configuration the
 * server wrote, bound read-only at /run/pwi-conf), and the release's sealed description
 * (`release.sealed`, outside both: no sandbox sees it). Under DATA_DIR/run/rt; where DATA_DIR's
 * path is too long for a socket's, under the temporary directory (its folder the server's alone).
 */
export function releaseDir(projectId: string, environmentName: string, releaseId: string): string {
  const key = releaseKey(projectId, environmentName, releaseId);
  const preferred = path.join(dataPaths.runtimes(), key);
  if (`${preferred}/sock/web.sock`.length <= MAX_SOCKET_PATH) return preferred;
  const id = crypto.createHash("sha256").update(appEnv().dataDir).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `pwi-rt-${id}`, key);
}

export const releaseSocketDir = (dir: string) => path.join(dir, "sock");
export const releaseConfDir = (dir: string) => path.join(dir, "conf");
export const releaseWebSocket = (dir: string) => path.join(dir, "sock", "web.sock");
/** Made by the launcher once pre_start, the web server, the application and post_start ran. */
export const releaseStartedMarker = (dir: string) => path.join(dir, "sock", ".started");

/** Makes a fresh runtime directory for a release (what a previous start left is removed), owner-only. */
export async function prepareReleaseDir(dir: string): Promise<void> {
  await removeTree(dir);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(dir), 0o700);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.mkdirSync(releaseSocketDir(dir), { mode: 0o700 });
  fs.mkdirSync(releaseConfDir(dir), { mode: 0o700 });
}

const SEALED = "release.sealed";

/** Keeps what a release was started with (its variables included, sealed with the secrets key) so a restarted server can start it again. */
export function writeSealedRelease(dir: string, value: unknown): void {
  const key = path.basename(dir);
  fs.writeFileSync(path.join(dir, SEALED), seal(getSecretsKey(), JSON.stringify(value), `runtime-release:${key}`), { mode: 0o600 });
}

/** What writeSealedRelease kept, or null (none, or sealed with another key). */
export function readSealedRelease(dir: string): unknown {
  try {
    const text = fs.readFileSync(path.join(dir, SEALED), "utf8");
    return JSON.parse(openSealed(getSecretsKey(), text, `runtime-release:${path.basename(dir)}`));
  } catch {
    return null;
  }
}
