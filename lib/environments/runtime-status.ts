import "server-only";
import type { Db } from "@/db/client";
import { notifyProjectChange } from "@/lib/activities/notify";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import type { EnvironmentRuntimeStatus } from "@/lib/runtime/driver/runtime-driver";

/** What runs for an environment now, as the console shows it (null: nothing runs). */
export function getEnvironmentRuntime(projectId: string, environmentName: string): EnvironmentRuntimeStatus | null {
  return getRuntimeDriver().environmentStatus(projectId, environmentName);
}

/**
 * Tells a project's open pages when one of its environments' processes changes state, at most
 * once per 250 ms per environment (a crash loop changes state several times a second).
 */
export function onRuntimeStatusChange(db: Db): void {
  const pending = new Map<string, NodeJS.Timeout>();
  getRuntimeDriver().onStatusChange((projectId, environmentName) => {
    const key = `${projectId}/${environmentName}`;
    if (pending.has(key)) return;
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        void notifyProjectChange(db, projectId, "runtime").catch(() => undefined);
      }, 250),
    );
  });
}
