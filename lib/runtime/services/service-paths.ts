import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { dataPaths } from "@/lib/paths";

/**
 * A service instance's runtime folder, the server's alone (0700): DATA_DIR/run/svc/<key>/,
 * where <key> is a hash of project, environment and service id. Inside it `conf/` (this
 * module's files, bound read-only at /run/pwi-conf in the service's sandbox), `home/` (an
 * empty folder shown at /app there) and `sock/` (its socket, bound writable at /run/service;
 * the application's sandboxes get it read-only at /run/services/<service id>).
 *
 * (Proposed for lib/paths.ts: `services: () => path.join(root(), "run", "svc")` in dataPaths, and
 * this function beside the release's in lib/runtime/driver/release-files.ts. Its data folder is
 * the service's volume in the live generation, `<generation>/services/<id>` (lib/runtime/volumes.ts).)
 */
export function serviceRuntimeDir(projectId: string, environmentName: string, serviceId: string): string {
  const key = crypto.createHash("sha256").update(`${projectId}/${environmentName}/${serviceId}`).digest("hex").slice(0, 16);
  return path.join(dataPaths.run(), "svc", key);
}

export const serviceSocketDir = (runtimeDir: string) => path.join(runtimeDir, "sock");

/** Makes the runtime folder and its socket folder (owner-only); what a previous instance left in conf/ is replaced at start. */
export function prepareServiceRuntimeDir(runtimeDir: string): void {
  fs.mkdirSync(path.dirname(runtimeDir), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(runtimeDir), 0o700);
  fs.mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(serviceSocketDir(runtimeDir), { recursive: true, mode: 0o700 });
}
