import "server-only";
import fs from "node:fs";
import path from "node:path";
import { dataPaths } from "@/lib/paths";

/**
 * A service instance's runtime folder, the server's alone (0700):
 * DATA_DIR/run/svc/<project>/<environment>/<service id>/ (dataPaths.environmentServices), so
 * deleting an environment or a project removes its instances' folders without knowing their ids.
 * Inside it `conf/` (the instance's configuration, its credentials included, bound read-only at
 * /run/pwi-conf in the service's sandbox), `home/` (an empty folder shown at /app there) and
 * `sock/` (its socket, bound writable at /run/service; the application's sandboxes get it
 * read-only at /run/services/<service id>). No host path of a socket needs to fit a socket
 * address: the engine binds /run/service/… inside its sandbox, and the server connects through
 * a descriptor (connectNoFollow). Its data folder is the service's volume in the live
 * generation, `<generation>/services/<id>` (lib/runtime/volumes.ts).
 */
export function serviceRuntimeDir(projectId: string, environmentName: string, serviceId: string): string {
  return path.join(dataPaths.environmentServices(projectId, environmentName), serviceId);
}

export const serviceSocketDir = (runtimeDir: string) => path.join(runtimeDir, "sock");

/** Makes the runtime folder and its socket folder (owner-only); what a previous instance left in conf/ is replaced at start. */
export function prepareServiceRuntimeDir(runtimeDir: string): void {
  fs.mkdirSync(path.dirname(runtimeDir), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(runtimeDir), 0o700);
  fs.mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(serviceSocketDir(runtimeDir), { recursive: true, mode: 0o700 });
}
