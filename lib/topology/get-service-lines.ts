import "server-only";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import { routerTarget } from "@/lib/runtime/router-targets";
import { describeService, type ServiceHost, type ServiceLine } from "./service-state";

/**
 * Each service of `config` as the console shows it now, by service id (null: an inactive
 * environment runs nothing). No database query: the driver says what runs, the environment's
 * pause marker (written before its services stop) whether it is paused. The caller has checked
 * that the user may see the environment.
 */
export function getServiceLines(projectId: string, environmentName: string, config: ProjectConfig, host: ServiceHost = "active"): Record<string, ServiceLine | null> {
  if (host === "inactive") return Object.fromEntries(Object.keys(config.services).map((id) => [id, null]));
  const driver = getRuntimeDriver();
  const running = new Map(driver.serviceStatus(projectId, environmentName).map((s) => [s.serviceId, s]));
  const paused = host === "paused" || routerTarget(projectId, environmentName).paused;
  return Object.fromEntries(
    Object.entries(config.services).map(([serviceId, service]) => [
      serviceId,
      describeService({ serviceId, support: driver.serviceSupport(service.type), status: running.get(serviceId) ?? null, host: paused ? "paused" : "active" }),
    ]),
  );
}
