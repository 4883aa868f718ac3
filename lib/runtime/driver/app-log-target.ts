import "server-only";
import { closeEnvironmentLogs, openAppLog, type AppLogWriter } from "@/lib/runtime/app-logs/app-log-writers";
import type { LineTarget } from "@/lib/runtime/supervisor/supervised-process";

const key = Symbol.for("pwi.app-log-targets");
type G = typeof globalThis & { [key]?: Map<string, AppLogWriter> };
const targets = () => ((globalThis as G)[key] ??= new Map());

/**
 * An environment's application log by name (access, error, app, worker-<name>, deploy,
 * post-deploy): one handle per log per process, kept while the environment runs (the router
 * writes a line per request), given up by `releaseAppLogTargets`.
 */
export function appLogTarget(projectId: string, environmentName: string, name: string): LineTarget {
  const id = `${projectId}/${environmentName}/${name}`;
  let writer = targets().get(id);
  if (!writer) {
    writer = openAppLog(projectId, environmentName, name);
    targets().set(id, writer);
  }
  return writer;
}

/** Closes an environment's log handles (its processes stopped for good: Deactivate, Delete). */
export async function releaseAppLogTargets(projectId: string, environmentName: string): Promise<void> {
  const prefix = `${projectId}/${environmentName}/`;
  for (const [id, writer] of targets()) {
    if (!id.startsWith(prefix)) continue;
    targets().delete(id);
    await writer.close();
  }
  await closeEnvironmentLogs(projectId, environmentName);
}
