import "server-only";
import type { ProjectConfig } from "@/lib/config/parse-config";
import type { LogSink } from "@/lib/runtime/log-sink";

/** One deployment to run: the build (read-only at /app), its mounts and its variables. */
export interface ReleaseSpec {
  projectId: string;
  environmentName: string;
  /** The deployment's id (the deploy activity's), its folder's name. */
  releaseId: string;
  /** The deployment's folder on the host (shown at /app). */
  deployDir: string;
  config: ProjectConfig;
  /** The runtime variables (MAGENTO_CLOUD_*, `env:` ones), PORT/SOCKET and PATH aside. */
  env: Record<string, string>;
  /** The environment's mounts: each host folder shown writable at its place under /app. */
  binds: { source: string; dest: string }[];
}

export type RuntimeState = "starting" | "running" | "restarting" | "crash-loop" | "stopping" | "stopped";

export interface ProcessStatus {
  /** "web" (the web server and the application), or "worker:<name>". */
  name: string;
  state: RuntimeState;
  restarts: number;
  /** Resident and proportional memory of its processes. */
  rssBytes: number;
  pssBytes: number;
  processes: number;
  startedAt: string | null;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

export interface EnvironmentRuntimeStatus {
  releaseId: string;
  /** The worst of its processes' states. */
  state: RuntimeState;
  /** What runs it: "PHP 8.2 (PHP-FPM) behind nginx", "web.commands.start behind nginx". */
  runs: string;
  /** A line about the runtime's version, when the host runs another than the one asked for. */
  note: string | null;
  processes: ProcessStatus[];
}

export type StartOutcome = { ok: true } | { ok: false; message: string };

/** An environment's SMTP endpoint for a running release (lib/runtime/mail-endpoint.ts), open while the release runs. */
export interface ReleaseMail {
  /** The Unix socket bound into each sandbox at /run/pwi-smtp.sock (null: none can be). */
  socketPath: string | null;
  /** MAGENTO_CLOUD_SMTP_HOST and _PORT, as the application gets them. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** What the domain above gives a release besides its spec. */
export interface ReleaseServices {
  /** Opens the environment's SMTP endpoint for this release (its Mailbox, its relay). */
  openMail?: () => Promise<ReleaseMail>;
}

/** Whether this host can run a configuration's application, and if not the sentence why. */
export type RunSupport = { ok: true; runs: string; note: string | null } | { ok: false; reason: string };

/**
 * How environments' processes are run: the local sandbox driver (local-driver.ts) today, a
 * cluster engine later (CONTRIBUTING.md says how a Kubernetes driver would implement it).
 * Domains ask the driver; nothing else starts an environment's long-lived processes.
 */
export interface RuntimeDriver {
  readonly name: string;
  /** Whether the application of `config` can run here. */
  support(config: ProjectConfig): RunSupport;
  /**
   * Starts a release beside whatever the environment runs and waits until it answers
   * (post_start done, then a request through its web server answered), or fails with a
   * sentence (its processes stopped, nothing else touched). Progress lines go to `log`.
   */
  startRelease(spec: ReleaseSpec, log: LogSink, signal?: AbortSignal, services?: ReleaseServices): Promise<StartOutcome>;
  /** Stops one release of an environment (the one a deploy replaced), gracefully. */
  stopRelease(projectId: string, environmentName: string, releaseId: string, reason: string): Promise<void>;
  /** Stops every process of an environment (Deactivate, Pause, Delete); `now`: no grace after SIGTERM (its project is being deleted, in a request). */
  stopEnvironment(projectId: string, environmentName: string, reason: string, options?: { now?: boolean }): Promise<void>;
  /** Starts again the release an environment served before the server stopped (or before Pause). */
  reviveRelease(projectId: string, environmentName: string, releaseId: string, deployDir: string, log: LogSink, services?: ReleaseServices): Promise<StartOutcome>;
  /** What runs for an environment now (the release it serves, or the newest starting one), or null. */
  environmentStatus(projectId: string, environmentName: string): EnvironmentRuntimeStatus | null;
  /** The socket the environment router connects to for a release. */
  webSocket(projectId: string, environmentName: string, releaseId: string): string;
  /** Calls `listener` whenever a process of an environment changes state (the console shows it live). */
  onStatusChange(listener: (projectId: string, environmentName: string) => void): void;
}
