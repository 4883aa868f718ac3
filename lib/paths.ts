import "server-only";
import fs from "node:fs";
import path from "node:path";
import { env } from "@/lib/env";
import { runTreeTool } from "@/lib/tree-tool";

/**
 * The one owner of DATA_DIR's layout. Every file the server keeps is found through here:
 *
 *   repos/<project>.git                 the project's bare repository
 *   builds/<project>/<tree>             builds, shared by the project's environments
 *   deploys/<project>/<env>/<activity>  deployments, `current` the live one
 *   volumes/<project>/<env>/gen-*       each environment's data, `current` the live generation
 *   snapshots/<project>/<snapshot>      snapshot archives and manifests
 *   logs/<project>/<env>/<name>.log     each environment's application logs (access, error, app,
 *                                       worker-<name>, deploy, post-deploy), rotated parts beside them
 *   run/rt/<release id>/                a running release's sockets (sock/) and server-written
 *                                       configuration (conf/): lib/runtime/driver
 *   run/svc/<project>/<env>/<service>/  a service instance's socket (sock/), configuration with its
 *                                       credentials (conf/) and empty home: lib/runtime/services
 *                                       (its data is its volume, volumes/…/services/<id>)
 *   auth-secret                         the generated session secret
 *   variables-key                       the generated key that seals sensitive variables
 *   run/                                sockets (git pushes, `npm run admin`) and records of running hooks
 *   pglite/, pglite.lock                the embedded database (db/client.ts)
 *
 * Project ids and environment names are validated slugs before they reach these functions.
 */
const root = () => env().dataDir;

export const dataPaths = {
  repositories: () => path.join(root(), "repos"),
  repository: (projectId: string) => path.join(root(), "repos", `${projectId}.git`),
  builds: (projectId: string) => path.join(root(), "builds", projectId),
  deploys: (projectId: string) => path.join(root(), "deploys", projectId),
  environmentDeploys: (projectId: string, environmentName: string) => path.join(root(), "deploys", projectId, environmentName),
  volumes: (projectId: string) => path.join(root(), "volumes", projectId),
  environmentVolumes: (projectId: string, environmentName: string) => path.join(root(), "volumes", projectId, environmentName),
  snapshots: (projectId: string) => path.join(root(), "snapshots", projectId),
  logs: (projectId: string) => path.join(root(), "logs", projectId),
  environmentLogs: (projectId: string, environmentName: string) => path.join(root(), "logs", projectId, environmentName),
  runtimes: () => path.join(root(), "run", "rt"),
  services: () => path.join(root(), "run", "svc"),
  projectServices: (projectId: string) => path.join(root(), "run", "svc", projectId),
  environmentServices: (projectId: string, environmentName: string) => path.join(root(), "run", "svc", projectId, environmentName),
  authSecret: () => path.join(root(), "auth-secret"),
  run: () => path.join(root(), "run"),
  hookRecords: () => path.join(root(), "run", "hooks"),
  adminSocket: () => path.join(root(), "run", "admin.sock"),
  variablesKey: () => path.join(root(), "variables-key"),
} as const;

/** Every directory that holds something of a project. */
export function projectPaths(projectId: string): string[] {
  return [dataPaths.repository(projectId), dataPaths.builds(projectId), dataPaths.deploys(projectId), dataPaths.volumes(projectId), dataPaths.snapshots(projectId), dataPaths.logs(projectId), dataPaths.projectServices(projectId)];
}

/**
 * Removes a folder and everything in it, in the tree tool's process (a build, a deployment or
 * an environment's data can be many files, and removing them here held every request for as
 * long), without following a link, at any depth. Use it for any folder the server did not just
 * make small itself.
 */
export async function removeTree(dir: string): Promise<void> {
  if (!(await fs.promises.lstat(dir).catch(() => null))) return; // nothing there: no process to start
  await runTreeTool("remove", [dir]);
}

/** Deletes everything a project keeps on disk: a project made again with the same id starts empty. */
export async function deleteProjectPaths(projectId: string): Promise<void> {
  for (const dir of projectPaths(projectId)) await removeTree(dir);
}

/**
 * Writes a file of the server's into a folder whose other contents pushed code made (a build,
 * a deployment): whatever is at that name — a link to anywhere, a folder — is removed first,
 * never followed, and the file is then created exclusively (O_EXCL: a link put there meanwhile
 * makes the write fail rather than be followed).
 */
export function writeOwnFile(file: string, content: string, mode = 0o644): void {
  fs.rmSync(file, { recursive: true, force: true });
  fs.writeFileSync(file, content, { flag: "wx", mode });
}
