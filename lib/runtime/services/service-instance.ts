/**
 * One service instance of one environment (its MariaDB, Redis, PostgreSQL or RabbitMQ), run exactly
 * like the application's processes: in a bubblewrap sandbox as the unprivileged sandbox user,
 * under the seccomp filter, in a cgroup of its own (memory from services.yaml, service-engines.ts),
 * with no network at all (its own empty network namespace: the engine listens on a Unix socket
 * only) and nothing of the host but the system's read-only directories, its data folder at
 * /srv/data, its socket folder at /run/service and its configuration at /run/pwi-conf. It is
 * supervised (started again when it exits: a crash, or SHUTDOWN sent by a client), and stopped
 * with SIGTERM then SIGKILL after a grace.
 */
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { createHookCgroup, type HookCgroup } from "@/lib/runtime/hook-cgroup";
import { hookBaseEnv, sandboxSupport, type SandboxSpec } from "@/lib/runtime/sandbox";
import { hasPerl, sandboxedCommand } from "@/lib/runtime/sandbox-command";
import { hookSeccomp } from "@/lib/runtime/seccomp";
import { SupervisedProcess, type LineTarget, type ProcessState } from "@/lib/runtime/supervisor/supervised-process";
import { processesMemory } from "@/lib/runtime/supervisor/process-tree";
import { usedBytes } from "@/lib/runtime/disk-watch";
import { buildMariadbFiles, buildPostgresqlFiles, buildRabbitmqFiles, buildRedisFiles, SERVICE_SANDBOX, SOCKET_NAMES, type InstancePurpose, type ServiceCredentials } from "./service-config";
import { serviceFileSizeBytes, serviceMemory, type ServiceEngine } from "./service-engines";
import { hostServiceEngine } from "./service-host";
import { MARIADB_LAUNCHER, POSTGRESQL_LAUNCHER, RABBITMQ_LAUNCHER, REDIS_LAUNCHER } from "./service-launchers";
import { probeService, type Readiness } from "./service-readiness";
import { serviceSocketDir } from "./service-paths";

export interface ServiceInstanceSpec {
  projectId: string;
  environmentName: string;
  /** The service's id in services.yaml. */
  serviceId: string;
  /** Its services.yaml entry: type, and disk (MB) and size when given. */
  service: { type: string; disk?: number; size?: string };
  /** Its data folder on the host (the service's own volume), shown at /srv/data. Null for a cache (`redis:`): it keeps nothing. */
  dataDir: string | null;
  /** Its runtime folder on the host (serviceRuntimeDir): conf/ and home/ are written here, its socket is made in sock/. */
  runtimeDir: string;
  credentials: ServiceCredentials;
  /** The engine's own log (its error log) and the supervisor's lines about it. */
  log: LineTarget;
  /** SIGTERM → SIGKILL. */
  graceMs: number;
  /** A temporary instance a copy loads (service-config.ts InstancePurpose); the environment's own serves. */
  purpose?: InstancePurpose;
  /** How often its data is measured against its disk (watchDisk); 30 s unless said. */
  diskCheckMs?: number;
}

/** A service's data against its `disk`. */
export interface DiskUse {
  usedBytes: number;
  limitBytes: number;
  over: boolean;
}

export type ServiceStartOutcome = { ok: true; instance: ServiceInstance } | { ok: false; message: string };

/** Processes (threads count) an instance may have: MariaDB's 100 connections are threads, PostgreSQL's 20 are processes; RabbitMQ's Erlang VM, epmd and the forwarder take about 40. */
const MAX_PROCESSES = { mariadb: 256, redis: 32, postgresql: 64, rabbitmq: 128 } as const;
const GIB = 1024 * 1024 * 1024;

/** The name the sandbox user has inside (initdb and mariadb-install-db look it up). */
const PASSWD = "root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:10000:10000:app:/app:/usr/sbin/nologin\n";
const GROUP = "root:x:0:\napp:x:10000:\n";

/** A running (supervised) service instance. */
export class ServiceInstance {
  readonly socketPath: string;
  private stopping: Promise<void> | null = null;

  constructor(
    readonly spec: ServiceInstanceSpec,
    readonly engine: Extract<ServiceEngine, { ok: true }>,
    private readonly process: SupervisedProcess,
    private readonly cgroup: HookCgroup | null,
  ) {
    this.socketPath = path.join(serviceSocketDir(spec.runtimeDir), SOCKET_NAMES[engine.engine]);
  }

  get state(): ProcessState {
    return this.process.state;
  }
  /** How many times it was started again after it exited (a crash, SHUTDOWN from a client, the memory limit). */
  get restarts(): number {
    return this.process.restarts;
  }
  get lastExit() {
    return this.process.lastExit;
  }
  /** What its data used at the last check, against its `disk` (null: it keeps no data, or not checked yet). */
  get diskUse(): DiskUse | null {
    return this.disk.use;
  }

  /**
   * Checks the blocks its data folder uses every `everyMs` (`du`, following no link) against its
   * `disk`: the first time it is over, its log says so (and again when it is back under). Each
   * file is already capped at `disk` (RLIMIT_FSIZE); this says when all of them together pass it.
   */
  watchDisk(everyMs: number): void {
    const dataDir = this.spec.dataDir;
    if (!dataDir || this.disk.timer) return;
    const limitBytes = serviceFileSizeBytes(this.spec.service);
    let checking = false;
    const check = async () => {
      // One measurement at a time: a folder of many files takes a while.
      if (this.stopping || checking) return;
      checking = true;
      const used = await usedBytes([dataDir])
        .catch(() => null)
        .finally(() => (checking = false));
      if (used === null || this.stopping) return;
      const over = used > limitBytes;
      const was = this.disk.use?.over ?? false;
      this.disk.use = { usedBytes: used, limitBytes, over };
      const mb = (b: number) => `${Math.round(b / 1024 / 1024).toLocaleString("en-US")} MB`;
      if (over && !was) this.spec.log.line(`The service ${this.spec.serviceId} uses ${mb(used)}, more than its disk of ${mb(limitBytes)} (disk in .magento/services.yaml): writes may fail. Delete data, or raise its disk and redeploy.`, "stderr");
      if (!over && was) this.spec.log.line(`The service ${this.spec.serviceId} uses ${mb(used)} of its disk of ${mb(limitBytes)} again.`);
    };
    this.disk.timer = setInterval(() => void check(), everyMs);
    this.disk.timer.unref?.();
    void check();
  }
  private readonly disk: { timer: NodeJS.Timeout | null; use: DiskUse | null } = { timer: null, use: null };

  get startedAt() {
    return this.process.startedAt;
  }
  /** The sandbox's processes, the outer one included. */
  processes(): number[] {
    return this.process.processes();
  }
  memory(): { rssBytes: number; pssBytes: number } {
    return processesMemory(this.processes());
  }
  /** What the limits stopped (an OOM kill of the engine shows here). */
  limitEvents() {
    return this.cgroup?.events() ?? null;
  }
  set onStateChange(listener: (() => void) | null) {
    this.process.onStateChange = listener;
  }

  /** One round-trip with the engine over its socket, as the application's user. */
  probe(): Promise<Readiness> {
    return probeService(this.engine.engine, this.socketPath, this.spec.credentials);
  }

  /**
   * Waits until it answers (a first start initialises its data first), or fails with a sentence:
   * when it exits before answering (its log says why), or after `timeoutMs`.
   */
  async waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; message: string }> {
    const deadline = Date.now() + timeoutMs;
    const exitsBefore = this.process.lastExit?.at ?? 0;
    let last: Readiness = { ready: false, detail: "not started" };
    const name = `${this.engine.runs} (${this.spec.serviceId})`;
    while (Date.now() < deadline) {
      if (signal?.aborted) return { ok: false, message: `Cancelled while ${name} started.` };
      if (this.stopping) return { ok: false, message: `${name} was stopped while it started.` };
      const exit = this.process.lastExit;
      if (exit && exit.at > exitsBefore && this.process.state !== "running" && this.process.state !== "starting") {
        return { ok: false, message: `${name} stopped while starting (${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`}); its log says why.` };
      }
      if (fs.lstatSync(this.socketPath, { throwIfNoEntry: false })) {
        last = await this.probe();
        if (last.ready) return { ok: true };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return { ok: false, message: `${name} did not answer within ${Math.round(timeoutMs / 1000)} s (${last.ready ? "" : last.detail}).` };
  }

  /** Stops it cleanly (SIGTERM) until `resume`, keeping its socket folder (the application's sandboxes hold it): a safe snapshot copies its files meanwhile. */
  suspend(reason: string): Promise<void> {
    return this.process.suspend(reason);
  }
  resume(reason: string): void {
    this.process.resume(reason);
  }

  /** Stops it for good: SIGTERM (a clean shutdown of the engine), SIGKILL after `graceMs`; its cgroup is removed. */
  stop(reason: string, graceMs?: number): Promise<void> {
    if (this.disk.timer) clearInterval(this.disk.timer);
    this.stopping ??= (async () => {
      await this.process.stop(reason, graceMs);
      await this.cgroup?.remove();
    })();
    return this.stopping;
  }
}

/** The files of the instance's conf/ folder for its engine. */
function configFiles(spec: ServiceInstanceSpec, engine: Extract<ServiceEngine, { ok: true }>): Record<string, string> {
  const memory = serviceMemory(engine.engine, spec.service);
  const files =
    engine.engine === "mariadb"
      ? buildMariadbFiles(memory, spec.credentials, spec.purpose)
      : engine.engine === "redis"
        ? buildRedisFiles(memory, spec.credentials, engine.persistent)
        : engine.engine === "rabbitmq"
          ? buildRabbitmqFiles(memory, spec.credentials)
          : buildPostgresqlFiles(memory, spec.credentials, spec.purpose);
  return { ...files.files, passwd: PASSWD, group: GROUP };
}

function launcherOf(engine: Extract<ServiceEngine, { ok: true }>): string[] {
  if (engine.engine === "mariadb") return [MARIADB_LAUNCHER, "pwi-mariadb", engine.programs.server!, engine.programs.installDb!];
  if (engine.engine === "redis") return [REDIS_LAUNCHER, "pwi-redis", engine.programs.server!, engine.persistent ? "persistent" : ""];
  if (engine.engine === "rabbitmq") return [RABBITMQ_LAUNCHER, "pwi-rabbitmq", engine.programs.server!, engine.programs.node!];
  return [POSTGRESQL_LAUNCHER, "pwi-postgresql", engine.programs.initdb!, engine.programs.postgres!];
}

/**
 * Starts one instance (its processes, not waiting for it to answer: `waitUntilReady`), or says
 * in a sentence why it cannot run here. The data folder must exist; the runtime folder is made.
 */
export async function startServiceInstance(spec: ServiceInstanceSpec): Promise<ServiceStartOutcome> {
  const engine = hostServiceEngine(spec.service.type);
  if (!engine.ok) return { ok: false, message: engine.reason };
  const sandbox = sandboxSupport();
  if (!sandbox.ok) return { ok: false, message: `Services run only in the sandbox, and ${sandbox.reason}.` };
  const persistent = engine.engine !== "redis" || engine.persistent;
  if (persistent && !spec.dataDir) return { ok: false, message: `The service ${spec.serviceId} keeps data and has no data folder: give it a disk in .magento/services.yaml.` };
  const seccomp = hasPerl() ? await hookSeccomp() : null;

  const conf = path.join(spec.runtimeDir, "conf");
  const home = path.join(spec.runtimeDir, "home");
  for (const dir of [path.dirname(spec.runtimeDir), spec.runtimeDir, conf, home, serviceSocketDir(spec.runtimeDir)]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
  }
  for (const [name, text] of Object.entries(configFiles(spec, engine))) {
    const file = path.join(conf, name);
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, text, { mode: 0o600, flag: "wx" });
  }

  const memory = serviceMemory(engine.engine, spec.service);
  const cgroupLimits = { memoryBytes: memory.limitBytes, maxProcesses: MAX_PROCESSES[engine.engine], cpus: 1 };
  const cgroup = hasPerl() ? await createHookCgroup(cgroupLimits) : null;
  // Without a cgroup, only an address-space limit per process is left: an engine reserves far more
  // address space than it uses (thread stacks, the buffer pool), so it gets four times its memory and a GiB.
  const limits = cgroup ? cgroupLimits : { ...cgroupLimits, memoryBytes: memory.limitBytes * 4 + GIB };
  const box: SandboxSpec = {
    appDir: home,
    appWritable: false,
    binds: [{ source: serviceSocketDir(spec.runtimeDir), dest: SERVICE_SANDBOX.sockets }, ...(spec.dataDir && persistent ? [{ source: spec.dataDir, dest: SERVICE_SANDBOX.data }] : [])],
    roBinds: [
      { source: conf, dest: SERVICE_SANDBOX.conf },
      { source: path.join(conf, "passwd"), dest: "/etc/passwd" },
      { source: path.join(conf, "group"), dest: "/etc/group" },
    ],
    network: false,
  };
  const sandboxed = { bwrap: sandbox.bwrap, seccomp: seccomp?.ok ? seccomp.file : null };
  const [script, ...args] = launcherOf(engine);
  const label = `${engine.runs} (service ${spec.serviceId})`;
  const supervised = new SupervisedProcess({
    label,
    command: () => ({ ...sandboxedCommand({ inner: ["/bin/bash", "-c", script!, ...args], env: { ...hookBaseEnv("/app"), USER: "app", LOGNAME: "app" }, sandboxed, sandbox: box, limits, cgroup, fileSizeBytes: serviceFileSizeBytes(spec.service) }), cwd: spec.runtimeDir }),
    stdout: spec.log,
    stderr: spec.log,
    events: spec.log,
    graceMs: spec.graceMs,
  });
  const instance = new ServiceInstance(spec, engine, supervised, cgroup);
  spec.log.line(`Starting ${label}${engine.note ? ` (${engine.note})` : ""}: memory ${Math.round(memory.limitBytes / 1024 / 1024)} MB${cgroup ? "" : " (per process: no cgroup can be made here)"}.`);
  supervised.start();
  if (persistent && spec.purpose !== "load") instance.watchDisk(spec.diskCheckMs ?? 30_000);
  return { ok: true, instance };
}
