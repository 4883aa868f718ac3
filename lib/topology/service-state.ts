/**
 * What each service of services.yaml is doing now, in the words the topology's service nodes
 * and the environment page show: running, starting, stopped, or that it does not run here (the
 * sentence why), what runs it, its memory and its log. Pure, so the server, the browser and the
 * tests read the same words; `getServiceLines` (get-service-lines.ts) reads the driver.
 */
import { formatBytes } from "@/lib/format-bytes";
import { restartsText, STATE_TONE, type SiteTone } from "@/lib/environments/site-status";
import { SERVICE_LOG_ID } from "@/lib/runtime/app-logs/log-names";
import type { RuntimeState, ServiceStatus, ServiceSupport } from "@/lib/runtime/driver/runtime-driver";

/** Whether the environment runs anything: active, paused (its services stopped, their data kept) or inactive (nothing runs). */
export type ServiceHost = "active" | "paused" | "inactive";

/** One service as its node and the environment page show it. */
export interface ServiceLine {
  /** "Running", "Starting", "Restarting", "Crash loop", "Stopping", "Stopped", "Stopped (paused)", "Not running", "Does not run here". */
  label: string;
  tone: SiteTone;
  /** What runs it here ("MariaDB 10.11"); null when it does not run here. */
  runs: string | null;
  /** "mysql:10.6 requested; this host runs MariaDB 10.11", when the host runs another version than the one asked for. */
  note: string | null;
  /** A sentence more: why it does not run here, why it stops, what to do. */
  detail: string | null;
  /** Its resident memory (RSS), while its processes exist: "41 MiB". */
  memory: string | null;
  /** "no restarts", "restarted 3 times", while it runs here. */
  restarts: string | null;
  /** The Logs tab's log of its engine ("service-mysql"), when it runs here. */
  log: string | null;
}

export const SERVICE_STATE_LABEL: Record<RuntimeState, string> = {
  running: "Running",
  starting: "Starting",
  restarting: "Restarting",
  "crash-loop": "Crash loop",
  stopping: "Stopping",
  stopped: "Stopped",
};

/** The Logs tab's name of a service's log, or null for an id no log can have. */
export function serviceLog(serviceId: string): string | null {
  return SERVICE_LOG_ID.test(serviceId) ? `service-${serviceId}` : null;
}

/**
 * A service's line, or null when nothing is to be said (an inactive environment runs nothing).
 * Its own state wins over the environment's: a Resume shows "Starting" before the pause ends.
 */
export function describeService(input: { serviceId: string; support: ServiceSupport; status: ServiceStatus | null; host: ServiceHost }): ServiceLine | null {
  const { serviceId, support, status, host } = input;
  if (host === "inactive") return null;
  if (!support.ok) return { label: "Does not run here", tone: "muted", runs: null, note: null, detail: support.reason, memory: null, restarts: null, log: null };
  const log = serviceLog(serviceId);
  const base = { runs: status?.runs ?? support.runs, note: support.note, memory: null, restarts: null, log };
  if (!status) {
    if (host === "paused") return { ...base, label: "Stopped (paused)", tone: "muted", detail: "Its data is kept; Resume starts it again before the application." };
    return { ...base, label: "Not running", tone: "danger", detail: "No instance of it runs now: Redeploy starts it again." };
  }
  const line: ServiceLine = {
    ...base,
    label: SERVICE_STATE_LABEL[status.state],
    tone: STATE_TONE[status.state],
    detail: null,
    memory: status.state === "running" || status.rssBytes > 0 ? formatBytes(status.rssBytes) : null,
    restarts: restartsText(status.restarts),
  };
  const readLog = log ? ` Its log (${log}) says why.` : "";
  if (status.state === "crash-loop") line.detail = `It keeps exiting within seconds of starting.${readLog}`;
  else if (status.state === "restarting") line.detail = `It exited; it is started again in a moment.${readLog}`;
  return line;
}

/** The service's data on its disk: "12.3 MiB of 2048 MB" (services.yaml gives `disk` in MB). */
export function diskUsedText(usedBytes: number, diskMb: number | undefined): string {
  return diskMb ? `${formatBytes(usedBytes)} of ${diskMb} MB` : formatBytes(usedBytes);
}
