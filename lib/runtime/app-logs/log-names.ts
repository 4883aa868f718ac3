/**
 * The names of an environment's application logs and of their files. Pure (the console and the
 * server share it): a log's name reaches a path only after `checkAppLogName` accepted it.
 *
 *   access       one line per request, written by the router (which puts its own time first)
 *   error        nginx's stderr and the router's upstream errors
 *   app          stdout and stderr of the application (PHP-FPM, or the app's own process)
 *   worker-<w>   stdout and stderr of worker <w>
 *   service-<s>  the error log of service <s> of services.yaml (its engine's output) and its starts and stops
 *   deploy       the deploy hook's output; post-deploy: the post_deploy hook's
 *   cron         each cron run's output, as its activity's log has it
 *
 * Files: `<name>.log`, and its rotated parts `<name>.log.1.gz` (newest) … `<name>.log.3.gz`;
 * `<name>.log.1` is a part while it is being compressed.
 */

export const FIXED_APP_LOGS = ["access", "error", "app", "deploy", "post-deploy", "cron"] as const;
export type FixedAppLogName = (typeof FIXED_APP_LOGS)[number];
export type AppLogName = FixedAppLogName | `worker-${string}` | `service-${string}`;

/** A worker's name, as `.magento.app.yaml` may give it. */
export const WORKER_NAME = /^[a-z0-9_-]{1,64}$/;
/** A service's id, as `.magento/services.yaml` may give it. */
export const SERVICE_LOG_ID = /^[a-z0-9]{1,64}$/;
/** Rotated parts kept beside a log (`.1.gz` … `.3.gz`). */
export const KEPT_PARTS = 3;

const NAME_RULE = "A log is access, error, app, deploy, post-deploy, cron, worker-<name> (a worker's name: 1 to 64 of a-z, 0-9, _ and -) or service-<id> (a service's id: 1 to 64 of a-z and 0-9).";

export type AppLogNameCheck = { ok: true; name: AppLogName } | { ok: false; error: string };

/** Whether `name` names an application log; refuses everything else (`../x`, `app/../../etc`, `APP`) with a sentence. */
export function checkAppLogName(name: string): AppLogNameCheck {
  if ((FIXED_APP_LOGS as readonly string[]).includes(name)) return { ok: true, name: name as FixedAppLogName };
  if (name.startsWith("worker-") && WORKER_NAME.test(name.slice("worker-".length))) return { ok: true, name: name as AppLogName };
  if (name.startsWith("service-") && SERVICE_LOG_ID.test(name.slice("service-".length))) return { ok: true, name: name as AppLogName };
  return { ok: false, error: NAME_RULE };
}

export function isAppLogName(name: string): name is AppLogName {
  return checkAppLogName(name).ok;
}

/** The log of worker `worker`; throws a RangeError for a name a worker cannot have. */
export function workerLogName(worker: string): AppLogName {
  if (!WORKER_NAME.test(worker)) throw new RangeError(`"${worker}" is not a worker's name: 1 to 64 of a-z, 0-9, _ and -.`);
  return `worker-${worker}`;
}

/** The log of service `serviceId`; throws a RangeError for an id a service cannot have. */
export function serviceLogName(serviceId: string): AppLogName {
  if (!SERVICE_LOG_ID.test(serviceId)) throw new RangeError(`"${serviceId}" is not a service's id: 1 to 64 of a-z and 0-9.`);
  return `service-${serviceId}`;
}

/** What the console calls a log. */
export function appLogLabel(name: AppLogName): string {
  switch (name) {
    case "access":
      return "Access";
    case "error":
      return "Error";
    case "app":
      return "App";
    case "deploy":
      return "Deploy";
    case "post-deploy":
      return "Post-deploy";
    case "cron":
      return "Cron";
    default:
      return name.startsWith("service-") ? `Service ${name.slice("service-".length)}` : `Worker ${name.slice("worker-".length)}`;
  }
}

/** Whether the writer puts the time before each line: every log but access (the router writes its time itself). */
export function isTimestampedLog(name: AppLogName): boolean {
  return name !== "access";
}

/** The order the console lists logs in: access, error, app, the workers by name, the services by id, deploy, post-deploy, cron. */
export function compareAppLogNames(a: AppLogName, b: AppLogName): number {
  const rank = (n: AppLogName) => (n === "access" ? 0 : n === "error" ? 1 : n === "app" ? 2 : n === "deploy" ? 5 : n === "post-deploy" ? 6 : n === "cron" ? 7 : n.startsWith("service-") ? 4 : 3);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function appLogFileName(name: AppLogName): string {
  return `${name}.log`;
}

/** Rotated part `part` (1: the newest), compressed. */
export function appLogPartName(name: AppLogName, part: number): string {
  return `${name}.log.${part}.gz`;
}

export type AppLogFileKind = { name: AppLogName; part: null } | { name: AppLogName; part: number; compressed: boolean };

/** What a file of a logs folder is: a log, one of its rotated parts, or null (anything else). */
export function parseAppLogFileName(file: string): AppLogFileKind | null {
  const m = /^(.+)\.log(?:\.([1-9][0-9]{0,2})(\.gz)?)?$/.exec(file);
  if (!m) return null;
  const check = checkAppLogName(m[1]!);
  if (!check.ok) return null;
  if (m[2] === undefined) return { name: check.name, part: null };
  return { name: check.name, part: Number(m[2]), compressed: m[3] !== undefined };
}
