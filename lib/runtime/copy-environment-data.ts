import "server-only";
import type { Db } from "@/db/client";
import type { Environment } from "@/db/schema";
import { getRuntimeDriver } from "./driver/get-driver";
import type { ServiceStatus } from "./driver/runtime-driver";
import type { LogSink } from "./log-sink";
import { serviceKindOf } from "./services/service-engines";
import { copiesRunning } from "./services/service-copy";
import { environmentServiceCredentials } from "./services/stored-credentials";
import { copyVolumes, serviceDataDir, type CopyResult } from "./volumes";

/**
 * The environment's services that keep data (MariaDB, PostgreSQL, `redis-persistent:`) and answer
 * now, or with `orRestarting` also those starting or restarting (anything not stopped: a safe
 * snapshot holds them all, so none starts again under its copy).
 */
export function runningDataServices(projectId: string, environmentName: string, orRestarting = false): ServiceStatus[] {
  return getRuntimeDriver()
    .serviceStatus(projectId, environmentName)
    .filter((s) => {
      const kind = serviceKindOf(s.type);
      const live = orRestarting ? s.state !== "stopped" && s.state !== "stopping" : s.state === "running";
      return live && kind.runnable && kind.persistent;
    });
}

/**
 * Branch, Activate and Sync data: the target's data becomes a consistent copy of the source's.
 * - A service that keeps data and runs now (MariaDB, PostgreSQL, `redis-persistent:`) is copied
 *   by its engine's dump and load while it keeps serving (service-copy.ts): the source is never
 *   paused, and the copy is one transaction's (MariaDB, PostgreSQL) or one fork's (Redis) view.
 * - A service that does not run now (the source paused, or not started here) is at rest, shut
 *   down cleanly: its files are copied as they are.
 * - A running RabbitMQ is not copied: it has no dump, and its files under a running broker are no
 *   consistent state. The target's starts empty, and the log says so.
 * - Mounts are copied as files (they have no engine to ask).
 * The target's own services stop just before its data is switched (Sync data); its deploy starts
 * them on the new data with its own credentials. A failure leaves the target's data as it was.
 */
export async function copyEnvironmentData(db: Db, projectId: string, from: string, to: Environment, log: LogSink, signal?: AbortSignal): Promise<CopyResult> {
  const driver = getRuntimeDriver();
  // A safe snapshot of the source holding its services: wait until they answer again, then copy them by their engines.
  const held = driver.servicesHeld(projectId, from);
  if (held) {
    log.line(`A safe snapshot of ${from} holds its services: waiting until they answer again…`);
    await held;
  }
  const running = runningDataServices(projectId, from);
  // A running RabbitMQ is not copied (no dump; its files under a running broker are no consistent state): the target's starts empty.
  const notCopied = (s: ServiceStatus) => {
    const kind = serviceKindOf(s.type);
    return kind.runnable && !copiesRunning(kind.engine);
  };
  const live = running.filter((s) => !notCopied(s));
  for (const s of running.filter(notCopied)) log.line(`${s.serviceId} (${s.runs}) runs on ${from}: its queues and messages are not copied while it runs, so ${to.name}'s starts empty (Pause ${from} first to copy them as files).`);
  const atRest = new Set<string>();
  const result = await copyVolumes(projectId, from, to.name, {
    empty: running.map((s) => `services/${s.serviceId}`),
    fill: async (generation) => {
      const copies = await Promise.all(
        live.map(async (s) => {
          const kind = serviceKindOf(s.type);
          if (!kind.runnable) return { ok: true as const, method: "", ms: 0 };
          const targetCredentials = await environmentServiceCredentials(db, to.id, s.serviceId, kind.engine);
          log.line(`${s.serviceId} (${s.runs}) runs on ${from}: copying it while ${from} keeps serving…`);
          const copied = await driver.copyRunningService({ projectId, from, to: to.name, serviceId: s.serviceId, targetDataDir: serviceDataDir(generation, s.serviceId), targetCredentials, log, signal });
          if (copied.ok) log.line(`Copied ${s.serviceId} consistently (${copied.method}) in ${(copied.ms / 1000).toFixed(1)} s; ${from} was not paused.`);
          return copied;
        }),
      );
      const failed = copies.find((c) => !c.ok);
      if (failed && !failed.ok) throw new Error(failed.message);
    },
    beforeSwitch: async () => {
      for (const s of driver.serviceStatus(projectId, to.name)) atRest.add(s.serviceId);
      await driver.stopServices(projectId, to.name, `${to.name}'s data is being replaced by ${from}'s: stopping its services until its deploy starts them on the new data.`);
    },
  });
  if (atRest.size > 0) log.line(`Stopped ${[...atRest].join(", ")} of ${to.name} before its data was replaced; the deploy starts them again.`);
  return result;
}
