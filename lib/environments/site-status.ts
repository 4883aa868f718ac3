/**
 * Whether an environment's site is up, in the words its page and its topology show: what runs
 * (or why nothing does) → a label, a tone, the facts beside it and the log that says why. Pure,
 * so the server, the browser and the tests read the same sentences.
 */
import { formatBytes } from "@/lib/format-bytes";
import type { EnvironmentRuntimeStatus, ProcessStatus, RuntimeState } from "@/lib/runtime/driver/runtime-driver";

/** What an environment's site is now (lib/environments/runtime-status.ts reads it). */
export type EnvironmentSite =
  | { kind: "inactive" }
  | { kind: "not-deployed" }
  | { kind: "paused" }
  /** This host cannot run its application: the router serves the web root's files (the sentence why). */
  | { kind: "static"; reason: string }
  /** Deployed and active, yet no process serves it (the process that ran it is gone). */
  | { kind: "not-running" }
  | { kind: "runtime"; runtime: EnvironmentRuntimeStatus };

export type SiteTone = "success" | "progress" | "danger" | "muted";

/** One process (the web server and application, or a worker) as a short badge: "running", "crash loop"… */
export interface ProcessLine {
  /** "web", or the worker's name. */
  name: string;
  label: string;
  tone: SiteTone;
  /** "12.3 MiB", "restarted 2 times". */
  facts: string[];
  /** The Logs tab's log that says why it stops: "app", "worker-<name>". */
  log: string;
}

export interface SiteLine {
  /** Shown after "Site: ": "Up", "Starting…", "Crash loop"… */
  label: string;
  tone: SiteTone;
  /** What runs it, its memory, its restarts. */
  facts: string[];
  /** A sentence more: why, and what to do. */
  detail: string | null;
  /** The runtime's version differs from the one asked for. */
  note: string | null;
  /** The log that says why (a crash loop, restarts), when there is one to read. */
  log: string | null;
  workers: ProcessLine[];
}

const STATE_LABEL: Record<RuntimeState, string> = {
  running: "running",
  starting: "starting",
  restarting: "restarting",
  "crash-loop": "crash loop",
  stopping: "stopping",
  stopped: "stopped",
};

export const STATE_TONE: Record<RuntimeState, SiteTone> = {
  running: "success",
  starting: "progress",
  restarting: "progress",
  "crash-loop": "danger",
  stopping: "progress",
  stopped: "muted",
};

/** "no restarts", "restarted once", "restarted 3 times". */
export function restartsText(restarts: number): string {
  return restarts === 0 ? "no restarts" : restarts === 1 ? "restarted once" : `restarted ${restarts} times`;
}

/** The Logs tab's name for a process's log: the web process writes app.log, a worker worker-<name>.log. */
export function processLog(processName: string): string {
  return processName.startsWith("worker:") ? `worker-${processName.slice("worker:".length)}` : "app";
}

/** One process as a badge with its memory and restarts. */
export function describeProcess(p: ProcessStatus): ProcessLine {
  const facts = p.state === "running" || p.pssBytes > 0 ? [formatBytes(p.pssBytes)] : [];
  facts.push(restartsText(p.restarts));
  return { name: p.name.startsWith("worker:") ? p.name.slice("worker:".length) : p.name, label: STATE_LABEL[p.state], tone: STATE_TONE[p.state], facts, log: processLog(p.name) };
}

const totalMemory = (runtime: EnvironmentRuntimeStatus) => runtime.processes.reduce((sum, p) => sum + p.pssBytes, 0);

/**
 * The line an environment's page shows about its site, or null when nothing is to be said (an
 * inactive environment). The headline follows the web process (the site is up when it
 * answers); workers are listed each with their own state.
 */
export function describeSite(site: EnvironmentSite): SiteLine | null {
  const line = (label: string, tone: SiteTone, detail: string | null = null): SiteLine => ({ label, tone, facts: [], detail, note: null, log: null, workers: [] });
  switch (site.kind) {
    case "inactive":
      return null;
    case "not-deployed":
      return line("Not deployed yet", "muted");
    case "paused":
      return line("Paused", "muted", "Its processes are stopped and the router answers 503 until Resume, a push or a redeploy.");
    case "static":
      return line("Served as static files", "muted", site.reason);
    case "not-running":
      return line("Not running", "danger", "No process serves the deployment: Redeploy starts it again.");
    case "runtime":
      return describeRuntime(site.runtime);
  }
}

function describeRuntime(runtime: EnvironmentRuntimeStatus): SiteLine {
  const web = runtime.processes.find((p) => p.name === "web");
  const state = web?.state ?? runtime.state;
  const restarts = web?.restarts ?? 0;
  const workers = runtime.processes.filter((p) => p.name !== "web").map(describeProcess);
  const base = { facts: [runtime.runs], detail: null, note: runtime.note, log: null, workers };
  switch (state) {
    case "running":
      return { ...base, label: "Up", tone: "success", facts: [runtime.runs, formatBytes(totalMemory(runtime)), restartsText(restarts)] };
    case "starting":
      return { ...base, label: restarts > 0 ? `Starting… (${restartsText(restarts)})` : "Starting…", tone: "progress", log: restarts > 0 ? "app" : null };
    case "restarting":
      return {
        ...base,
        label: restarts > 0 ? `Restarting (${restartsText(restarts)})` : "Restarting",
        tone: "progress",
        detail: "The application exited; it is started again in a moment. Its app.log says why it stopped.",
        log: "app",
      };
    case "crash-loop":
      return {
        ...base,
        label: "Crash loop",
        tone: "danger",
        detail: "The application keeps exiting within seconds of starting. Its app.log says why.",
        log: "app",
      };
    case "stopping":
      return { ...base, label: "Stopping", tone: "progress" };
    case "stopped":
      return { ...base, label: "Stopped", tone: "muted", log: "app" };
  }
}

/** A node of the topology (the application, a worker) as a badge: its process's state, or what the whole site is. */
export function describeNodeRuntime(site: EnvironmentSite, processName: string): ProcessLine | null {
  const line = (label: string, tone: SiteTone): ProcessLine => ({ name: processName, label, tone, facts: [], log: processLog(processName) });
  switch (site.kind) {
    case "inactive":
    case "not-deployed":
      return null;
    case "paused":
      return line("paused", "muted");
    case "static":
      return processName === "web" ? line("static files", "muted") : line("not run (static site)", "muted");
    case "not-running":
      return line("not running", "danger");
    case "runtime": {
      const p = site.runtime.processes.find((x) => x.name === processName);
      return p ? describeProcess(p) : line("not running", "danger");
    }
  }
}
