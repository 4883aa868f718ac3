import "server-only";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { env as appEnv } from "@/lib/env";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { createHookCgroup, type HookCgroup } from "@/lib/runtime/hook-cgroup";
import { hookBaseEnv, SANDBOX_APP_DIR, sandboxSupport, type SandboxSpec } from "@/lib/runtime/sandbox";
import { hasPerl, sandboxedCommand } from "@/lib/runtime/sandbox-command";
import { hookSeccomp } from "@/lib/runtime/seccomp";
import { connectNoFollow } from "@/lib/runtime/unix-socket";
import { describeDiskVerdict, watchDisk, type DiskWatch } from "@/lib/runtime/disk-watch";
import { boundedStep, SupervisedProcess, type ProcessState } from "@/lib/runtime/supervisor/supervised-process";
import { descendants, processesMemory } from "@/lib/runtime/supervisor/process-tree";
import { dataPaths, removeTree } from "@/lib/paths";
import { WEB_LAUNCHER } from "@/lib/runtime/supervisor/web-launcher";
import { appLogTarget } from "./app-log-target";
import { prepareReleaseDir, readSealedRelease, releaseConfDir, releaseDir, releaseSocketDir, releaseStartedMarker, releaseWebSocket, writeSealedRelease } from "./release-files";
import { buildReleaseConfig, webRuntimeOf } from "./release-config";
import type { EnvironmentRuntimeStatus, ProcessStatus, ReleaseMail, ReleaseSpec, RunSupport, RuntimeDriver, RuntimeState, StartOutcome } from "./runtime-driver";
import { SMTP_FORWARD } from "@/lib/runtime/mail-endpoint";
import { forwarderScript, WITH_FORWARDER } from "@/lib/runtime/sandbox-forwarder";
import { amqpForwards } from "@/lib/runtime/services/service-relationships";
import { copyLocalRunningService, holdLocalServices, localServicesHeld, localServiceSocketBinds, localServiceStatus, localServiceSupport, removeLocalServices, startLocalServices, stopLocalServices } from "./local-services";
import { runHook } from "@/lib/runtime/run-hook";

/** Crons run at this niceness: background work takes the CPU the sites and the console leave. */
const CRON_NICENESS = 10;
const MIB = 1024 * 1024;
/** Where an environment's sockets are inside its sandboxes. */
const SANDBOX_SOCKETS = "/run/app";
const SANDBOX_CONF = "/run/pwi-conf";
/** The port a tcp application listens on: each sandbox has its own network namespace, so one number serves all. */
const APP_PORT = 8888;

interface Release {
  spec: ReleaseSpec;
  dir: string;
  web: SupervisedProcess;
  workers: Map<string, SupervisedProcess>;
  cgroup: HookCgroup | null;
  mail: ReleaseMail | null;
  disk: DiskWatch | null;
  runs: string;
  note: string | null;
  stopping: Promise<void> | null;
}

interface DriverState {
  /** "<project>/<environment>" → release id → its processes. */
  environments: Map<string, Map<string, Release>>;
  listeners: Set<(projectId: string, environmentName: string) => void>;
  sockets: Map<string, string>;
}
const KEY = Symbol.for("pwi.runtime.local-driver");
const state: DriverState = ((globalThis as typeof globalThis & { [KEY]?: DriverState })[KEY] ??= { environments: new Map(), listeners: new Set(), sockets: new Map() });

const envKey = (projectId: string, environmentName: string) => `${projectId}/${environmentName}`;

function runtimeState(s: ProcessState): RuntimeState {
  return s === "backoff" ? "restarting" : s;
}

const ORDER: RuntimeState[] = ["running", "starting", "restarting", "stopping", "stopped", "crash-loop"];

/** The local sandbox driver: every process of an environment in bubblewrap, as the unprivileged sandbox user, one cgroup per release. */
export const localDriver: RuntimeDriver = {
  name: "local sandbox",

  support(config: ProjectConfig): RunSupport {
    const sandbox = sandboxSupport();
    if (!sandbox.ok) return { ok: false, reason: `applications run only in the sandbox, and ${sandbox.reason}` };
    const web = webRuntimeOf(config);
    return web.ok ? { ok: true, runs: web.runs, note: web.note } : { ok: false, reason: web.reason };
  },

  async startRelease(spec, log, signal, services) {
    const web = webRuntimeOf(spec.config, SANDBOX_SOCKETS, APP_PORT);
    const sandbox = sandboxSupport();
    if (!web.ok || !sandbox.ok) return { ok: false, message: `This host cannot run the application: ${web.ok ? (sandbox as { reason: string }).reason : web.reason}.` };
    const seccomp = hasPerl() ? await hookSeccomp() : null;
    const dir = releaseDir(spec.projectId, spec.environmentName, spec.releaseId);
    await prepareReleaseDir(dir);
    const config = appEnv();
    const files = buildReleaseConfig(spec.config, web, { appDir: SANDBOX_APP_DIR, sockets: SANDBOX_SOCKETS, maxBodyBytes: config.ROUTER_MAX_BODY_MB * MIB, upstreamTimeoutSeconds: config.ROUTER_UPSTREAM_TIMEOUT });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(releaseConfDir(dir), name), text, { mode: 0o644 });
    writeSealedRelease(dir, spec);

    const limits = { memoryBytes: config.APP_MEMORY_MB * MIB, maxProcesses: config.APP_MAX_PROCESSES, cpus: config.APP_CPUS };
    // No file the application writes may be larger than its disk (RLIMIT_FSIZE).
    const fileSizeBytes = spec.config.app.disk * MIB;
    const cgroup = hasPerl() ? await createHookCgroup(limits) : null;
    const sandboxed = { bwrap: sandbox.bwrap, seccomp: seccomp?.ok ? seccomp.file : null };
    // The environment's SMTP endpoint, open while the release runs; a forwarder in each sandbox
    // listens on 127.0.0.1:1025 ($MAGENTO_CLOUD_SMTP_PORT) and leads to it, and nowhere else; and
    // on 127.0.0.1:5672 for each RabbitMQ (its relationship's port), leading to its socket.
    const mail = services?.openMail ? await services.openMail() : null;
    const forwards = [...(mail?.socketPath ? [SMTP_FORWARD] : []), ...amqpForwards((spec.services ?? []).map((s) => ({ serviceId: s.serviceId, type: s.service.type })))];
    const forwarder = forwarderScript(forwards);
    const binds = [...spec.binds, { source: releaseSocketDir(dir), dest: SANDBOX_SOCKETS }];
    // Its services' socket folders, read-only at /run/services/<id> (MAGENTO_CLOUD_RELATIONSHIPS names the sockets there).
    const serviceBinds = localServiceSocketBinds(spec.projectId, spec.environmentName, (spec.services ?? []).map((s) => s.serviceId));
    const box: SandboxSpec = { appDir: spec.deployDir, appWritable: false, binds, roBinds: [{ source: releaseConfDir(dir), dest: SANDBOX_CONF }, ...serviceBinds], network: false, smtpSocket: mail?.socketPath ?? null };
    const baseEnv = { ...spec.env, ...(mail?.env ?? {}), ...hookBaseEnv(SANDBOX_APP_DIR), ...web.env };
    const logs = (name: string) => appLogTarget(spec.projectId, spec.environmentName, name);
    const appLog = logs("app");
    const graceMs = config.APP_STOP_GRACE * 1000;
    const webProcess = new SupervisedProcess({
      label: web.label,
      command: () => {
        const command = sandboxedCommand({ inner: ["/bin/bash", "-c", WEB_LAUNCHER, "pwi-web", ...web.launcherArgs, forwarder], env: baseEnv, sandboxed, sandbox: box, limits, cgroup, fileSizeBytes, keepFds: 1 });
        return { ...command, cwd: spec.deployDir };
      },
      stdout: appLog,
      stderr: appLog,
      fd3: logs("error"),
      events: appLog,
      graceMs,
    });
    const workers = new Map<string, SupervisedProcess>();
    for (const [name, worker] of Object.entries(workersOf(spec.config))) {
      const workerLog = logs(`worker-${name}`);
      const workerBox: SandboxSpec = { ...box, binds: spec.binds, roBinds: serviceBinds };
      workers.set(
        name,
        new SupervisedProcess({
          label: `Worker ${name}`,
          command: () => {
            const inner = forwarder ? ["/bin/bash", "-c", WITH_FORWARDER, "pwi-worker", forwarder, worker.start] : ["/bin/bash", "-c", worker.start];
            const command = sandboxedCommand({ inner, env: { ...spec.env, ...(mail?.env ?? {}), ...worker.env, ...hookBaseEnv(SANDBOX_APP_DIR) }, sandboxed, sandbox: workerBox, limits, cgroup, fileSizeBytes });
            return { ...command, cwd: spec.deployDir };
          },
          stdout: workerLog,
          stderr: workerLog,
          events: workerLog,
          graceMs,
        }),
      );
    }
    const release: Release = { spec, dir, web: webProcess, workers, cgroup, mail, disk: null, runs: web.runs, note: web.note, stopping: null };
    // No running environment leaves the machine's disk nearly full: past the floor, it is stopped, with a line saying so.
    release.disk = watchDisk({ dirs: [releaseSocketDir(dir), ...spec.binds.map((b) => b.source)], limitBytes: null, onExceeded: (verdict) => void stopRelease(release, describeDiskVerdict("The application", verdict)) });
    // Each change of a process's state is written beside the release: another process on this machine (the dashboard, when a worker hosts it) reads it.
    for (const p of [webProcess, ...workers.values()]) {
      p.onStateChange = () => {
        writeStatus(release);
        for (const listener of state.listeners) listener(spec.projectId, spec.environmentName);
      };
    }
    const key = envKey(spec.projectId, spec.environmentName);
    if (!state.environments.has(key)) state.environments.set(key, new Map());
    state.environments.get(key)!.set(spec.releaseId, release);

    log.line(`Starting the application: ${web.runs}${web.note ? ` (${web.note})` : ""}${workers.size > 0 ? `, and ${workers.size} worker${workers.size === 1 ? "" : "s"} (${[...workers.keys()].join(", ")})` : ""}.`);
    appLog.line(`Starting release ${spec.releaseId}: ${web.runs}.`);
    const started = Date.now();
    webProcess.start();
    for (const w of workers.values()) w.start();
    const ready = await waitUntilAnswering(release, config.APP_START_TIMEOUT * 1000, signal);
    if (!ready.ok) {
      await stopRelease(release, `Stopping release ${spec.releaseId}: ${ready.message}`);
      return ready;
    }
    log.line(`The application answers (started in ${((Date.now() - started) / 1000).toFixed(1)} s).`);
    return { ok: true };
  },

  async stopRelease(projectId, environmentName, releaseId, reason) {
    const release = state.environments.get(envKey(projectId, environmentName))?.get(releaseId);
    if (release) await stopRelease(release, reason);
  },

  async stopEnvironment(projectId, environmentName, reason, options) {
    const releases = state.environments.get(envKey(projectId, environmentName));
    if (!releases) return;
    await Promise.all([...releases.values()].map((r) => stopRelease(r, reason, options?.now ? 0 : undefined)));
  },

  async reviveRelease(projectId, environmentName, releaseId, deployDir, log, services) {
    const existing = state.environments.get(envKey(projectId, environmentName))?.get(releaseId);
    if (existing && !existing.stopping) return { ok: true };
    const spec = readSealedRelease(releaseDir(projectId, environmentName, releaseId)) as ReleaseSpec | null;
    if (!spec || spec.deployDir !== deployDir) return { ok: false, message: "This deployment was made before applications ran, or its runtime description is gone: redeploy the environment." };
    // Its services first: the application expects them to answer.
    if (spec.services && spec.services.length > 0) {
      const servicesStarted = await localDriver.startServices(projectId, environmentName, spec.services, log);
      if (!servicesStarted.ok) return servicesStarted;
    }
    return localDriver.startRelease(spec, log, undefined, services);
  },

  environmentStatus(projectId, environmentName) {
    const releases = [...(state.environments.get(envKey(projectId, environmentName))?.values() ?? [])].filter((r) => !r.stopping);
    const release = releases.at(-1);
    if (!release) return statusFromFile(projectId, environmentName);
    return summarize(release.spec.releaseId, release.runs, release.note, [statusOf("web", release.web), ...[...release.workers].map(([name, w]) => statusOf(`worker:${name}`, w))]);
  },

  async runInRelease(projectId, environmentName, run) {
    const release = [...(state.environments.get(envKey(projectId, environmentName))?.values() ?? [])].filter((r) => !r.stopping).at(-1);
    if (!release) return { ok: false, message: `${environmentName} runs no application here (not deployed, paused, or its host cannot run it): there is nothing to run ${run.name.replace(/^The /, "the ")} beside.` };
    const { spec } = release;
    const services = (spec.services ?? []).map((s) => ({ serviceId: s.serviceId, type: s.service.type }));
    const sandbox: SandboxSpec = {
      appDir: spec.deployDir,
      appWritable: false,
      binds: spec.binds,
      roBinds: localServiceSocketBinds(projectId, environmentName, services.map((s) => s.serviceId)),
      network: false,
      smtpSocket: release.mail?.socketPath ?? null,
      forwards: amqpForwards(services),
    };
    const result = await runHook({
      script: run.command,
      phase: "deploy",
      name: run.name,
      sandbox,
      env: { ...spec.env, ...(release.mail?.env ?? {}) },
      log: run.log,
      limits: { timeoutMs: run.timeoutMs },
      disk: { dirs: spec.binds.map((b) => b.source), limitBytes: spec.config.app.disk * MIB },
      signal: run.signal,
      stopGraceMs: run.stopGraceMs,
      timeoutSetting: run.timeoutSetting,
      ...(run.background ? { niceness: CRON_NICENESS } : {}),
    });
    return { ok: true, result };
  },

  webSocket(projectId, environmentName, releaseId) {
    // Asked at every request: the path (a hash of the three) is kept.
    const id = `${projectId}/${environmentName}/${releaseId}`;
    let socket = state.sockets.get(id);
    if (!socket) {
      if (state.sockets.size > 10_000) state.sockets.clear();
      socket = releaseWebSocket(releaseDir(projectId, environmentName, releaseId));
      state.sockets.set(id, socket);
    }
    return socket;
  },

  serviceSupport: (type) => localServiceSupport(type),

  startServices(projectId, environmentName, services, log, signal) {
    return startLocalServices(projectId, environmentName, services, log, signal, () => {
      for (const listener of state.listeners) listener(projectId, environmentName);
    });
  },

  stopServices: (projectId, environmentName, reason, options) => stopLocalServices(projectId, environmentName, reason, options),

  removeServices: (projectId, environmentName, reason, options) => removeLocalServices(projectId, environmentName, reason, options),

  copyRunningService: (order) => copyLocalRunningService(order),

  holdServices: (projectId, environmentName, serviceIds, log, during) => holdLocalServices(projectId, environmentName, serviceIds, log, during),
  servicesHeld: (projectId, environmentName) => localServicesHeld(projectId, environmentName),

  serviceStatus: (projectId, environmentName) => localServiceStatus(projectId, environmentName),

  serviceSocketBinds: (projectId, environmentName, serviceIds) => localServiceSocketBinds(projectId, environmentName, serviceIds),

  onStatusChange(listener) {
    state.listeners.add(listener);
  },
};

function summarize(releaseId: string, runs: string, note: string | null, processes: ProcessStatus[]): EnvironmentRuntimeStatus {
  const worst = processes.map((p) => p.state).sort((a, b) => ORDER.indexOf(b) - ORDER.indexOf(a))[0] ?? "stopped";
  return { releaseId, state: worst, runs, note, processes };
}

const STATUS_FILE = "status.json";
interface StatusFile {
  host: number;
  releaseId: string;
  runs: string;
  note: string | null;
  processes: (Omit<ProcessStatus, "rssBytes" | "pssBytes" | "processes"> & { pid: number | null })[];
}

function writeStatus(release: Release): void {
  if (release.stopping) return;
  const file: StatusFile = {
    host: process.pid,
    releaseId: release.spec.releaseId,
    runs: release.runs,
    note: release.note,
    processes: [["web", release.web] as const, ...[...release.workers].map(([n, w]) => [`worker:${n}`, w] as const)].map(([name, p]) => {
      const { rssBytes: _r, pssBytes: _p, processes: _n, ...rest } = statusOf(name, p, false);
      return { ...rest, pid: p.pid };
    }),
  };
  try {
    fs.writeFileSync(path.join(release.dir, `${STATUS_FILE}.tmp`), JSON.stringify(file), { mode: 0o600 });
    fs.renameSync(path.join(release.dir, `${STATUS_FILE}.tmp`), path.join(release.dir, STATUS_FILE));
  } catch {
    /* the release's folder is gone: it stopped */
  }
}

/** The status another process on this machine wrote for the release the environment serves (null when that process is gone). */
function statusFromFile(projectId: string, environmentName: string): EnvironmentRuntimeStatus | null {
  let releaseId: string;
  try {
    releaseId = path.basename(fs.realpathSync(path.join(dataPaths.environmentDeploys(projectId, environmentName), "current")));
  } catch {
    return null;
  }
  let file: StatusFile;
  try {
    file = JSON.parse(fs.readFileSync(path.join(releaseDir(projectId, environmentName, releaseId), STATUS_FILE), "utf8")) as StatusFile;
    process.kill(file.host, 0);
  } catch {
    return null;
  }
  return summarize(file.releaseId, file.runs, file.note, file.processes.map(({ pid, ...p }) => {
    const pids = pid ? [pid, ...descendants(pid)] : [];
    return { ...p, ...processesMemory(pids), processes: pids.length };
  }));
}

function statusOf(name: string, p: SupervisedProcess, withMemory = true): ProcessStatus {
  const pids = withMemory ? p.processes() : [];
  const memory = withMemory ? processesMemory(pids) : { rssBytes: 0, pssBytes: 0 };
  return {
    name,
    state: runtimeState(p.state),
    restarts: p.restarts,
    rssBytes: memory.rssBytes,
    pssBytes: memory.pssBytes,
    processes: pids.length,
    startedAt: p.startedAt ? new Date(p.startedAt).toISOString() : null,
    lastExit: p.lastExit ? { code: p.lastExit.code, signal: p.lastExit.signal, at: new Date(p.lastExit.at).toISOString() } : null,
  };
}

/** Beyond their grace, how long a release's processes may take to be killed and reported gone (SupervisedProcess bounds it itself: this is the last guard). */
const STOP_KILL_MS = 15_000;

function stopRelease(release: Release, reason: string, graceMs?: number): Promise<void> {
  release.stopping ??= (async () => {
    const { projectId, environmentName, releaseId } = release.spec;
    const appLog = appLogTarget(projectId, environmentName, "app");
    const say = (line: string) => {
      appLog.line(`Stopping release ${releaseId}: ${line}`, "stderr");
      console.error(`[runtime] ${projectId}/${environmentName}, release ${releaseId}: ${line}`);
    };
    const processesMs = (graceMs ?? appEnv().APP_STOP_GRACE * 1000) + STOP_KILL_MS;
    await boundedStep(() => Promise.all([release.web.stop(reason, graceMs), ...[...release.workers.values()].map((w) => w.stop(reason, graceMs))]), "Stopping its processes", say, processesMs);
    await boundedStep(() => release.disk?.stop(), "Stopping its disk watch", say);
    await boundedStep(() => release.cgroup?.remove(), "Removing its cgroup", say);
    await boundedStep(() => release.mail?.close(), "Closing its SMTP endpoint", say);
    const releases = state.environments.get(envKey(projectId, environmentName));
    if (releases?.get(releaseId) === release) releases.delete(releaseId);
    if (releases?.size === 0) state.environments.delete(envKey(projectId, environmentName));
    // (What the sandbox left in its socket folder is removed by the tree tool, never followed, off this thread.)
    await boundedStep(() => removeTree(releaseSocketDir(release.dir)), "Removing its socket folder", say);
    fs.rmSync(path.join(release.dir, STATUS_FILE), { force: true });
  })();
  return release.stopping;
}

/** Each worker's start command and own `env:` variables (workers.<name>.variables.env). */
function workersOf(config: ProjectConfig): Record<string, { start: string; env: Record<string, string> }> {
  return Object.fromEntries(
    // (A configuration kept from before workers were parsed has none.)
    Object.entries((config.app.workers as typeof config.app.workers | undefined) ?? {}).map(([name, w]) => {
      const env = (w.variables as { env?: Record<string, unknown> } | undefined)?.env ?? {};
      return [name, { start: w.commands.start, env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) }];
    }),
  );
}

/** Asks the release's web server for "/" (HEAD: no visit counted) through its socket: any answer but 502/504 (nothing behind it) counts. */
function probe(socketPath: string, host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, createConnection: () => connectNoFollow(socketPath), path: "/", method: "HEAD", headers: { host, "user-agent": "pwi-start-check", connection: "close" }, timeout: 5000 }, (res) => {
      resolve(res.statusCode ?? null);
      res.destroy(); // the status is all it needs (an answer may never end)
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
    req.end();
  });
}

async function waitUntilAnswering(release: Release, timeoutMs: number, signal?: AbortSignal): Promise<StartOutcome> {
  const deadline = Date.now() + timeoutMs;
  const marker = releaseStartedMarker(release.dir);
  const socket = releaseWebSocket(release.dir);
  const host = `${release.spec.environmentName}.${release.spec.projectId}.localhost`;
  let lastStatus: number | null = null;
  while (Date.now() < deadline) {
    if (signal?.aborted) return { ok: false, message: "The deploy was cancelled while the application started." };
    if (release.web.lastExit) {
      const e = release.web.lastExit;
      return { ok: false, message: `The application stopped while starting (${e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`}); its app.log and error.log say why.` };
    }
    const started = fs.lstatSync(marker, { throwIfNoEntry: false })?.isFile() ?? false;
    if (started) {
      lastStatus = await probe(socket, host);
      if (lastStatus !== null && lastStatus !== 502 && lastStatus !== 504) return { ok: true };
    }
    await new Promise((r) => setTimeout(r, started ? 50 : 20));
  }
  const why = lastStatus ? `its web server answered ${lastStatus}: nothing answered behind it` : "its web server did not answer";
  return { ok: false, message: `The application did not answer within ${Math.round(timeoutMs / 1000)} s (APP_START_TIMEOUT): ${why}.` };
}
