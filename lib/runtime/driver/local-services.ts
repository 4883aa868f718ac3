import "server-only";
import fs from "node:fs";
import path from "node:path";
import { env as appEnv } from "@/lib/env";
import { dataPaths, removeTree } from "@/lib/paths";
import { sandboxSupport } from "@/lib/runtime/sandbox";
import type { LogSink } from "@/lib/runtime/log-sink";
import { serviceLogName } from "@/lib/runtime/app-logs/log-names";
import { hostServiceEngine, probeServicePrograms } from "@/lib/runtime/services/service-host";
import { startServiceInstance, type ServiceInstance } from "@/lib/runtime/services/service-instance";
import { copiesRunning, COPY_METHODS, PHYSICAL_MARIADB_COPY, runServiceCopy } from "@/lib/runtime/services/service-copy";
import { startFromMariadbTemplate } from "@/lib/runtime/services/data-template";
import { serviceFileSizeBytes, serviceMemory } from "@/lib/runtime/services/service-engines";
import { describeDiskVerdict, watchDisk } from "@/lib/runtime/disk-watch";
import { serviceRuntimeDir, serviceSocketDir } from "@/lib/runtime/services/service-paths";
import { appServiceSocketDir } from "@/lib/runtime/services/service-relationships";
import { boundedStep, type ProcessState } from "@/lib/runtime/supervisor/supervised-process";
import { descendants, processesMemory, processStartTime } from "@/lib/runtime/supervisor/process-tree";
import { appLogTarget } from "./app-log-target";
import type { RuntimeState, ServiceCopyOrder, ServiceCopyOutcome, ServiceSpec, ServiceStatus, ServiceSupport, StartOutcome } from "./runtime-driver";

/**
 * The local driver's service instances (lib/runtime/services): one per service of an active
 * environment, in its own sandbox, kept across redeploys while nothing about it changed.
 */
interface RunningService {
  spec: ServiceSpec;
  /** What it was started with: a redeploy with the same keeps it. */
  fingerprint: string;
  instance: ServiceInstance;
  stopping: Promise<void> | null;
}

const KEY = Symbol.for("pwi.runtime.local-services");
type G = typeof globalThis & { [KEY]?: Map<string, Map<string, RunningService>> };
/** "<project>/<environment>" → service id → its instance. */
const environments = ((globalThis as G)[KEY] ??= new Map());

const envKey = (projectId: string, environmentName: string) => `${projectId}/${environmentName}`;

/** Beyond its grace, how long a service's stop (the kill, its cgroup's removal) may take before it goes on without waiting. */
const STOP_KILL_MS = 15_000;

const fingerprintOf = (spec: ServiceSpec) => JSON.stringify([spec.service.type, spec.service.size ?? null, spec.service.disk ?? null, spec.dataDir, spec.credentials]);

export function localServiceSupport(type: string): ServiceSupport {
  const engine = hostServiceEngine(type);
  if (!engine.ok) return { ok: false, reason: engine.reason };
  const sandbox = sandboxSupport();
  if (!sandbox.ok) return { ok: false, reason: `${engine.runs} runs only in the sandbox, and ${sandbox.reason}.` };
  return { ok: true, engine: engine.engine, runs: engine.runs, note: engine.note };
}

function stopOne(projectId: string, environmentName: string, running: RunningService, reason: string, graceMs?: number): Promise<void> {
  running.stopping ??= (async () => {
    const serviceId = running.spec.serviceId;
    const serviceLog = appLogTarget(projectId, environmentName, serviceLogName(serviceId));
    const say = (line: string) => {
      serviceLog.line(`Stopping the service ${serviceId}: ${line}`, "stderr");
      console.error(`[runtime] ${projectId}/${environmentName}, service ${serviceId}: ${line}`);
    };
    // Its grace, then the kill (bounded in SupervisedProcess) and its cgroup's removal: never longer than that, whatever hangs.
    await boundedStep(() => running.instance.stop(reason, graceMs), "Stopping its processes", say, (graceMs ?? running.instance.spec.graceMs) + STOP_KILL_MS);
    const services = environments.get(envKey(projectId, environmentName));
    if (services?.get(serviceId) === running) services.delete(serviceId);
    if (services?.size === 0) environments.delete(envKey(projectId, environmentName));
    writeServiceStatusFile(projectId, environmentName);
    // What the engine left in its socket folder is removed by the tree tool, never followed: no socket is left to connect to.
    await boundedStep(() => removeTree(serviceSocketDir(running.instance.spec.runtimeDir)), "Removing its socket folder", say);
  })();
  return running.stopping;
}

export async function startLocalServices(projectId: string, environmentName: string, specs: ServiceSpec[], log: LogSink, signal: AbortSignal | undefined, onChange: () => void): Promise<StartOutcome> {
  const config = appEnv();
  const key = envKey(projectId, environmentName);
  const waiting: { running: RunningService; started: number; kept: boolean }[] = [];
  const failures: string[] = [];
  for (const spec of specs) {
    const current = environments.get(key)?.get(spec.serviceId);
    const fingerprint = fingerprintOf(spec);
    if (current && !current.stopping && current.fingerprint === fingerprint && current.instance.state !== "crash-loop" && current.instance.state !== "stopped") {
      waiting.push({ running: current, started: Date.now(), kept: true });
      continue;
    }
    if (current) await stopOne(projectId, environmentName, current, `The service ${spec.serviceId} changed (its type, size, disk, data or credentials) or stopped; starting it again.`);
    if (spec.dataDir && !fs.existsSync(spec.dataDir)) {
      failures.push(`The service ${spec.serviceId}'s data folder is gone (its data was replaced since it was deployed): redeploy the environment.`);
      continue;
    }
    const outcome = await startServiceInstance({
      projectId,
      environmentName,
      serviceId: spec.serviceId,
      service: spec.service,
      dataDir: spec.dataDir,
      runtimeDir: serviceRuntimeDir(projectId, environmentName, spec.serviceId),
      credentials: spec.credentials,
      log: appLogTarget(projectId, environmentName, serviceLogName(spec.serviceId)),
      graceMs: config.APP_STOP_GRACE * 1000,
    });
    if (!outcome.ok) {
      failures.push(`The service ${spec.serviceId} could not start: ${outcome.message}`);
      continue;
    }
    const { instance } = outcome;
    log.line(`Starting ${instance.engine.runs} for the service ${spec.serviceId}${instance.engine.note ? ` (${instance.engine.note})` : ""}.`);
    const running: RunningService = { spec, fingerprint, instance, stopping: null };
    instance.onStateChange = () => {
      writeServiceStatusFile(projectId, environmentName);
      onChange();
    };
    if (!environments.has(key)) environments.set(key, new Map());
    environments.get(key)!.set(spec.serviceId, running);
    waiting.push({ running, started: Date.now(), kept: false });
  }
  const timeoutMs = config.APP_START_TIMEOUT * 1000;
  const answers = await Promise.all(waiting.map((w) => w.running.instance.waitUntilReady(timeoutMs, signal).then((answer) => ({ answer, at: Date.now() }))));
  for (const [i, { answer, at }] of answers.entries()) {
    const { running, started, kept } = waiting[i]!;
    const name = `${running.instance.engine.runs} (${running.spec.serviceId})`;
    if (answer.ok) {
      log.line(kept ? `${name} keeps running: nothing about it changed.` : `${name} answers (started in ${((at - started) / 1000).toFixed(1)} s).`);
      continue;
    }
    failures.push(`${answer.message} Its log (service-${running.spec.serviceId}) says more.`);
    await stopOne(projectId, environmentName, running, `The service ${running.spec.serviceId} did not answer; stopping it.`);
  }
  writeServiceStatusFile(projectId, environmentName);
  onChange();
  if (failures.length > 0) {
    for (const f of failures) log.line(f, "stderr");
    return { ok: false, message: failures[0]! };
  }
  return { ok: true };
}

export async function stopLocalServices(projectId: string, environmentName: string, reason: string, options: { now?: boolean; keep?: readonly string[] } = {}): Promise<void> {
  const services = environments.get(envKey(projectId, environmentName));
  if (!services) return;
  const keep = new Set(options.keep ?? []);
  await Promise.all([...services.values()].filter((s) => !keep.has(s.spec.serviceId)).map((s) => stopOne(projectId, environmentName, s, reason, options.now ? 0 : undefined)));
}

export async function removeLocalServices(projectId: string, environmentName: string, reason: string, options: { now?: boolean } = {}): Promise<void> {
  await stopLocalServices(projectId, environmentName, reason, options);
  // Their configuration (the credentials) and what their engines left: the tree tool, never following a link.
  await removeTree(dataPaths.environmentServices(projectId, environmentName));
}

/**
 * What a server that stopped mid-copy or mid-dump left under DATA_DIR/run/svc: the copies'
 * `.copy-<service>` and the downloads' `.dump-<id>` folders, which hold their clients' option
 * files (passwords). Removed at start, before anything runs, with the tree tool (no link followed).
 * Returns how many.
 */
export async function sweepServiceLeftovers(): Promise<number> {
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  let removed = 0;
  for (const project of list(dataPaths.services())) {
    if (!project.isDirectory()) continue;
    for (const environment of list(path.join(dataPaths.services(), project.name))) {
      if (!environment.isDirectory()) continue;
      const dir = path.join(dataPaths.services(), project.name, environment.name);
      for (const entry of list(dir)) {
        if (!/^\.(copy|dump)-/.test(entry.name)) continue;
        await removeTree(path.join(dir, entry.name));
        removed++;
      }
    }
  }
  return removed;
}

const runtimeState = (s: ProcessState): RuntimeState => (s === "backoff" ? "restarting" : s);

export function localServiceStatus(projectId: string, environmentName: string): ServiceStatus[] {
  const services = environments.get(envKey(projectId, environmentName));
  // None here: another process on this machine (a worker that hosts environments) may run them.
  if (!services) return serviceStatusFromFile(projectId, environmentName);
  return [...services.values()]
    .filter((s) => !s.stopping)
    .map(({ spec, instance }) => {
      const memory = instance.memory();
      const exit = instance.lastExit;
      return {
        serviceId: spec.serviceId,
        type: spec.service.type,
        runs: instance.engine.runs,
        state: runtimeState(instance.state),
        restarts: instance.restarts,
        rssBytes: memory.rssBytes,
        pssBytes: memory.pssBytes,
        startedAt: instance.startedAt ? new Date(instance.startedAt).toISOString() : null,
        lastExit: exit ? { code: exit.code, signal: exit.signal, at: new Date(exit.at).toISOString() } : null,
      };
    });
}

export function localServiceSocketBinds(projectId: string, environmentName: string, serviceIds?: readonly string[]): { source: string; dest: string }[] {
  const only = serviceIds ? new Set(serviceIds) : null;
  return [...(environments.get(envKey(projectId, environmentName))?.values() ?? [])]
    .filter((s) => !s.stopping && (!only || only.has(s.spec.serviceId)))
    .map((s) => ({ source: serviceSocketDir(s.instance.spec.runtimeDir), dest: appServiceSocketDir(s.spec.serviceId) }));
}

/** The running instance of a service, when it answers now (not starting, restarting or stopping). */
function runningInstance(projectId: string, environmentName: string, serviceId: string): RunningService | null {
  const running = environments.get(envKey(projectId, environmentName))?.get(serviceId);
  return running && !running.stopping && running.instance.state === "running" ? running : null;
}

/**
 * Copies the data of `from`'s running service `serviceId` into `request.targetDataDir` (an empty
 * folder of the target's new data) while it keeps serving (service-copy.ts): MariaDB by a hot
 * physical copy where the host has mariadb-backup of its version; otherwise, and when that copy
 * fails, MariaDB and PostgreSQL through a temporary instance of the target's, started on that
 * folder with the target's credentials and stopped cleanly once loaded; Redis by its snapshot
 * stream.
 */
let mariadbCopyMethod: "physical" | "dump" = "physical";
/** Tests: copy MariaDB with a dump and load even where mariadb-backup is installed. */
export function setMariadbCopyMethodForTests(method: "physical" | "dump"): void {
  mariadbCopyMethod = method;
}

export async function copyLocalRunningService(request: ServiceCopyOrder): Promise<ServiceCopyOutcome> {
  const { projectId, from, to, serviceId, log } = request;
  const source = runningInstance(projectId, from, serviceId);
  if (!source) return { ok: false, message: `The service ${serviceId} of ${from} is not running: its files are copied instead.` };
  const { engine } = source.instance;
  if (!copiesRunning(engine.engine)) return { ok: false, message: `${engine.runs} (${serviceId}) is not copied while it runs: the target's starts empty.` };
  const started = Date.now();
  const config = appEnv();
  const memory = serviceMemory(engine.engine, source.spec.service);
  const copyDir = path.join(dataPaths.environmentServices(projectId, to), `.copy-${serviceId}`);
  await removeTree(copyDir);
  const copy = {
    engine: engine.engine,
    serverProgram: engine.programs.server ?? engine.programs.postgres ?? "",
    source: { socketDir: serviceSocketDir(source.instance.spec.runtimeDir), credentials: source.spec.credentials },
    confDir: path.join(copyDir, "client"),
    memoryBytes: memory.limitBytes,
    // No file larger than the service's disk (its folder is watched against the same, below).
    maxFileBytes: serviceFileSizeBytes(source.spec.service),
    log,
    signal: request.signal,
  };
  // The copy's target may take the service's disk and no more, and never the machine's last free space:
  // past either, the copy is cancelled (a hostile source could stream without end).
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  request.signal?.addEventListener("abort", onAbort, { once: true });
  let diskVerdict: string | null = null;
  const disk = watchDisk({ dirs: [request.targetDataDir], limitBytes: copy.maxFileBytes, onExceeded: (v) => ((diskVerdict = describeDiskVerdict(`The copy of ${serviceId}`, v)), cancel.abort()) });
  copy.signal = cancel.signal;
  const failed = (r: { ok: false; message: string }): ServiceCopyOutcome => ({ ok: false, message: diskVerdict ?? r.message });
  try {
    if (engine.engine === "redis") {
      const r = await runServiceCopy({ ...copy, target: { socketDir: null, dataDir: request.targetDataDir, credentials: request.targetCredentials } });
      return r.ok ? { ok: true, method: COPY_METHODS.redis, ms: Date.now() - started } : failed(r);
    }
    const backupProgram = engine.engine === "mariadb" && mariadbCopyMethod === "physical" ? (probeServicePrograms().mariadb?.backup ?? null) : null;
    if (backupProgram && source.spec.dataDir) {
      const r = await runServiceCopy({ ...copy, target: { socketDir: null, dataDir: request.targetDataDir, credentials: request.targetCredentials }, physical: { backupProgram, sourceDataDir: source.spec.dataDir } });
      if (r.ok) return { ok: true, method: PHYSICAL_MARIADB_COPY, ms: Date.now() - started };
      if (cancel.signal.aborted) return failed(r);
      log.line(`${r.message} Copying ${serviceId} with a dump and load instead.`, "stderr");
      for (const name of ["mariadb", "mariadb.copy"]) await removeTree(path.join(request.targetDataDir, name));
    }
    // The target's temporary instance, on the new folder, with the target's credentials: a MariaDB
    // starts from the host's initialised data template (data-template.ts) rather than initialising one.
    if (engine.engine === "mariadb") {
      await startFromMariadbTemplate(request.targetDataDir).catch((err) => log.line(`The MariaDB data template could not be copied (${err instanceof Error ? err.message : String(err)}); the copy initialises its own.`, "stderr"));
    }
    const target = await startServiceInstance({
      projectId,
      environmentName: to,
      serviceId,
      service: source.spec.service,
      dataDir: request.targetDataDir,
      runtimeDir: path.join(copyDir, "instance"),
      credentials: request.targetCredentials,
      log: appLogTarget(projectId, to, serviceLogName(serviceId)),
      // Its clean stop writes everything it loaded: it gets two minutes before a kill (then the engine's recovery makes it whole).
      graceMs: Math.max(config.APP_STOP_GRACE, 120) * 1000,
      purpose: "load",
    });
    if (!target.ok) return { ok: false, message: `The service ${serviceId} could not be copied: ${target.message}` };
    const times: string[] = [];
    const lap = (() => {
      let at = Date.now();
      return (what: string) => {
        times.push(`${what} in ${((Date.now() - at) / 1000).toFixed(1)} s`);
        at = Date.now();
      };
    })();
    try {
      const ready = await target.instance.waitUntilReady(config.APP_START_TIMEOUT * 1000, cancel.signal);
      if (!ready.ok) return failed({ ok: false, message: `The copy of ${serviceId} could not start its target: ${ready.message}` });
      lap("its target started");
      const r = await runServiceCopy({ ...copy, target: { socketDir: target.instance.socketPath ? path.dirname(target.instance.socketPath) : null, dataDir: null, credentials: request.targetCredentials } });
      if (!r.ok) return failed(r);
      lap("dumped and loaded");
    } finally {
      // A clean shutdown: the target's own instance starts on these files at its deploy.
      await target.instance.stop(`The copy of ${serviceId} from ${from} is loaded; stopping the instance that loaded it.`);
    }
    // Only a clean stop wrote everything it loaded (it loads without doublewrite): anything else fails the copy.
    const exit = target.instance.lastExit;
    if (!exit || exit.signal || exit.code !== 0) return { ok: false, message: `The instance that loaded ${serviceId}'s copy did not stop cleanly (${exit?.signal ? `killed by ${exit.signal}` : `exit code ${exit?.code ?? "unknown"}`}); the copy is not used.` };
    lap("stopped cleanly");
    log.line(`The copy of ${serviceId}: ${times.join(", ")}.`);
    return { ok: true, method: COPY_METHODS[engine.engine], ms: Date.now() - started };
  } finally {
    request.signal?.removeEventListener("abort", onAbort);
    await disk.stop();
    await removeTree(copyDir).catch(() => undefined);
  }
}

/**
 * Stops each of `serviceIds` that runs now (a clean shutdown; its socket folder stays, so the
 * application finds it again), runs `during` (a safe snapshot copies the files), then starts
 * them again and waits until they answer. `pausedMs`: from the first stop until the last answers.
 */
export async function holdLocalServices<T>(projectId: string, environmentName: string, serviceIds: readonly string[], log: LogSink, during: (held: string[]) => Promise<T>): Promise<{ value: T; held: string[]; pausedMs: number }> {
  // Every instance that is not being stopped for good, a restarting one too (suspend clears its restart timer).
  const held = serviceIds.map((id) => environments.get(envKey(projectId, environmentName))?.get(id)).filter((r): r is RunningService => r !== undefined && !r.stopping);
  const started = Date.now();
  // A copy from this environment meanwhile waits until its services answer again (localServicesHeld).
  const key = envKey(projectId, environmentName);
  let release = () => {};
  const hold = Promise.all([holds.get(key), new Promise<void>((resolve) => (release = resolve))]).then(() => undefined);
  holds.set(key, hold);
  try {
    await Promise.all(held.map((r) => r.instance.suspend(`A safe snapshot of ${environmentName} copies ${r.spec.serviceId}'s files: stopping it cleanly until they are copied.`)));
    let value: T;
    try {
      value = await during(held.map((r) => r.spec.serviceId));
    } finally {
      for (const r of held) r.instance.resume(`${r.spec.serviceId}'s files are copied: starting it again.`);
      const timeoutMs = appEnv().APP_START_TIMEOUT * 1000;
      const answers = await Promise.all(held.map((r) => r.instance.waitUntilReady(timeoutMs)));
      for (const [i, answer] of answers.entries()) if (!answer.ok) log.line(`${answer.message} Its supervisor keeps starting it again; its log (service-${held[i]!.spec.serviceId}) says more.`, "stderr");
    }
    return { value, held: held.map((r) => r.spec.serviceId), pausedMs: Date.now() - started };
  } finally {
    release();
    if (holds.get(key) === hold) holds.delete(key);
  }
}

/** Holds on environments' services (safe snapshots'), by environment: each resolves when its services answer again. */
const holds = new Map<string, Promise<void>>();

/**
 * While a safe snapshot holds the environment's services, the end of the hold (they answer
 * again), else null: a copy from it (Branch, Activate, Sync data) waits for it, then finds them
 * running and copies them by their engine, never as files of an engine being started again.
 */
export function localServicesHeld(projectId: string, environmentName: string): Promise<void> | null {
  return holds.get(envKey(projectId, environmentName)) ?? null;
}

/**
 * The status file of an environment's services: written by the process that runs them at each
 * change of their state (owner-only, in their runtime folder, renamed into place), read by
 * another process on this machine that runs none of them (the dashboard, when a worker hosts
 * environments). It names the writer (pid and start time: a pid used again by another process
 * does not count) and each service's sandbox, whose memory the reader measures itself.
 */
const SERVICE_STATUS_FILE = ".status.json";
interface ServiceStatusFile {
  host: number;
  hostStart: string | null;
  services: (Omit<ServiceStatus, "rssBytes" | "pssBytes"> & { pid: number | null })[];
}

const serviceStatusFile = (projectId: string, environmentName: string) => path.join(dataPaths.environmentServices(projectId, environmentName), SERVICE_STATUS_FILE);

/** Writes what this process's instances of the environment are doing (none: the file goes). */
export function writeServiceStatusFile(projectId: string, environmentName: string): void {
  const file = serviceStatusFile(projectId, environmentName);
  const running = environments.get(envKey(projectId, environmentName));
  try {
    if (!running) {
      fs.rmSync(file, { force: true });
      return;
    }
    const body: ServiceStatusFile = {
      host: process.pid,
      hostStart: processStartTime(process.pid),
      services: localServiceStatus(projectId, environmentName).map(({ rssBytes: _r, pssBytes: _p, ...status }) => ({ ...status, pid: running.get(status.serviceId)?.instance.processes()[0] ?? null })),
    };
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(body), { mode: 0o600 });
    fs.renameSync(temporary, file);
  } catch {
    /* the environment's services folder is gone: its services were removed */
  }
}

const STATES: readonly string[] = ["starting", "running", "restarting", "crash-loop", "stopping", "stopped"] satisfies RuntimeState[];
const isPid = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isText = (v: unknown): v is string => typeof v === "string" && v.length <= 200;

/** What another process on this machine wrote about the environment's services, or none when that process is gone or the file is not one it wrote. */
export function serviceStatusFromFile(projectId: string, environmentName: string): ServiceStatus[] {
  let file: Partial<ServiceStatusFile>;
  try {
    const stat = fs.lstatSync(serviceStatusFile(projectId, environmentName));
    if (!stat.isFile() || stat.size > 64 * 1024) return [];
    file = JSON.parse(fs.readFileSync(serviceStatusFile(projectId, environmentName), "utf8")) as Partial<ServiceStatusFile>;
  } catch {
    return [];
  }
  if (!isPid(file.host) || !Array.isArray(file.services)) return [];
  try {
    process.kill(file.host, 0);
  } catch {
    return [];
  }
  if (file.hostStart !== processStartTime(file.host)) return [];
  return file.services.flatMap((s): ServiceStatus[] => {
    if (!s || !isText(s.serviceId) || !isText(s.type) || !isText(s.runs) || !STATES.includes(s.state) || !Number.isSafeInteger(s.restarts)) return [];
    const pids = isPid(s.pid) ? [s.pid, ...descendants(s.pid)] : [];
    const lastExit = s.lastExit && isText(s.lastExit.at) ? { code: typeof s.lastExit.code === "number" ? s.lastExit.code : null, signal: isText(s.lastExit.signal) ? s.lastExit.signal : null, at: s.lastExit.at } : null;
    return [{ serviceId: s.serviceId, type: s.type, runs: s.runs, state: s.state, restarts: s.restarts, ...processesMemory(pids), startedAt: isText(s.startedAt) ? s.startedAt : null, lastExit }];
  });
}
