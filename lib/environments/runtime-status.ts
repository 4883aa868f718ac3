import "server-only";
import type { Db } from "@/db/client";
import type { Environment } from "@/db/schema";
import { notifyProjectChange } from "@/lib/activities/notify";
import { canSeeEnvironmentType, type ProjectAccess } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { staticSiteReason } from "@/lib/runtime/deploy";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import type { EnvironmentSite } from "./site-status";

/**
 * What an environment's site is now, for a user who may see the environment: paused, served as
 * static files (and why), what runs it, or nothing (inactive, not deployed). No database query:
 * the environment's row and the runtime driver say it all.
 */
export function getEnvironmentSite(access: ProjectAccess, env: Environment): EnvironmentSite {
  if (env.projectId !== access.project.id || !canSeeEnvironmentType(access, env.type)) throw new DomainError("not_found", "There is no such environment.");
  if (env.status === "inactive") return { kind: "inactive" };
  if (env.pausedAt) return { kind: "paused" };
  const runtime = getRuntimeDriver().environmentStatus(access.project.id, env.name);
  if (runtime) return { kind: "runtime", runtime };
  const reason = staticSiteReason(access.project.id, env.name);
  if (reason) return { kind: "static", reason };
  return env.deployedCommit ? { kind: "not-running" } : { kind: "not-deployed" };
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
