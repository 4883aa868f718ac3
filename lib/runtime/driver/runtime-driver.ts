import "server-only";
import type { ProjectConfig } from "@/lib/config/parse-config";
import type { LogSink } from "@/lib/runtime/log-sink";
import type { HookResult } from "@/lib/runtime/run-hook";
import type { ServiceCredentials } from "@/lib/runtime/services/service-config";
import type { ServiceEngineName } from "@/lib/runtime/services/service-engines";

/** One service of an environment to run (an entry of services.yaml that runs here). */
export interface ServiceSpec {
  /** Its id in services.yaml. */
  serviceId: string;
  /** Its entry: type, and disk (MB) and size when given. */
  service: { type: string; disk?: number; size?: string };
  /** Its data folder on the host (its volume in the live generation); null for a cache (`redis:`), which keeps nothing. */
  dataDir: string | null;
  credentials: ServiceCredentials;
}

/** A consistent copy of a running service's data into another environment's new data (Branch, Activate, Sync data). */
export interface ServiceCopyOrder {
  projectId: string;
  from: string;
  to: string;
  serviceId: string;
  /** An empty folder in the target's new generation of data: the service's volume there. */
  targetDataDir: string;
  /** The target's own credentials (the copy answers to them). */
  targetCredentials: ServiceCredentials;
  log: LogSink;
  signal?: AbortSignal;
}
export type ServiceCopyOutcome = { ok: true; method: string; ms: number } | { ok: false; message: string };

/** Whether a service type runs here: its engine and what runs it ("MariaDB 10.11"), or the sentence why not. */
export type ServiceSupport = { ok: true; engine: ServiceEngineName; runs: string; note: string | null } | { ok: false; reason: string };

export interface ServiceStatus {
  serviceId: string;
  type: string;
  /** "MariaDB 10.11". */
  runs: string;
  state: RuntimeState;
  restarts: number;
  rssBytes: number;
  pssBytes: number;
  startedAt: string | null;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

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
  /** The services it reaches (their sockets at /run/services/<id>), started before it when it is revived. Absent in releases made before services ran. */
  services?: ServiceSpec[];
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
/** One command run beside a release (runInRelease). */
export interface ReleaseCommand {
  command: string;
  /** What the log calls it ("The cron cronrun"). */
  name: string;
  log: LogSink;
  timeoutMs: number;
  /** SIGTERM at the time limit or a cancel, SIGKILL this long after. */
  stopGraceMs: number;
  /** The setting the time limit comes from, as the log names it ("timeout of crons.cronrun"). */
  timeoutSetting: string;
  signal?: AbortSignal;
  /** Background work (a cron): its processes yield the CPU to the sites and the console (run-hook's `niceness`). */
  background?: boolean;
}

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
  /**
   * Runs `command` once beside the environment's running release, in a sandbox like its deploy
   * hooks': its build read-only at /app, its mounts, its services' sockets, its runtime variables
   * and relationships, its SMTP endpoint (a cron, a runtime operation). Null when no release of
   * it runs here: the sentence says why.
   */
  runInRelease(projectId: string, environmentName: string, run: ReleaseCommand): Promise<{ ok: true; result: HookResult } | { ok: false; message: string }>;
  /** The socket the environment router connects to for a release. */
  webSocket(projectId: string, environmentName: string, releaseId: string): string;
  /** Whether a service of `type` runs here, and what runs it. */
  serviceSupport(type: string): ServiceSupport;
  /**
   * Starts each service of an environment (one already running with the same type, size, disk,
   * data folder and credentials is kept: a redeploy does not restart it) and waits until each
   * answers, or fails with a sentence (what did not answer is stopped; the others keep running).
   * Instances of services not in `services` are left alone (stopServices with `keep` ends them).
   */
  startServices(projectId: string, environmentName: string, services: ServiceSpec[], log: LogSink, signal?: AbortSignal): Promise<StartOutcome>;
  /** Stops an environment's services (all, or all but `keep`); `now`: no grace after SIGTERM. Their sockets go with them. */
  stopServices(projectId: string, environmentName: string, reason: string, options?: { now?: boolean; keep?: readonly string[] }): Promise<void>;
  /** Stops an environment's services and deletes their runtime folders (their configuration holds the credentials): Deactivate, Delete. */
  removeServices(projectId: string, environmentName: string, reason: string, options?: { now?: boolean }): Promise<void>;
  /**
   * Copies a running service's data consistently while it keeps serving (a hot physical copy or a dump and load, per
   * engine: lib/runtime/services/service-copy.ts). Fails with a sentence when it does not run now.
   */
  copyRunningService(order: ServiceCopyOrder): Promise<ServiceCopyOutcome>;
  /**
   * Stops the running ones of `serviceIds` cleanly, runs `during`, starts them again and waits
   * until they answer (a safe snapshot): `pausedMs` from the first stop until the last answers.
   */
  holdServices<T>(projectId: string, environmentName: string, serviceIds: readonly string[], log: LogSink, during: (held: string[]) => Promise<T>): Promise<{ value: T; held: string[]; pausedMs: number }>;
  /** While a safe snapshot holds the environment's services, a promise of the end of the hold (they answer again); null when none does. A copy from it waits for this. */
  servicesHeld(projectId: string, environmentName: string): Promise<void> | null;
  /** What each service of an environment is doing now. */
  serviceStatus(projectId: string, environmentName: string): ServiceStatus[];
  /** The running services' socket folders, each bound read-only at /run/services/<id> in the application's, workers' and deploy hooks' sandboxes. */
  serviceSocketBinds(projectId: string, environmentName: string, serviceIds?: readonly string[]): { source: string; dest: string }[];
  /** Calls `listener` whenever a process of an environment changes state (the console shows it live). */
  onStatusChange(listener: (projectId: string, environmentName: string) => void): void;
}
