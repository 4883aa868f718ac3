import "server-only";
import fs from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deployments, environments, type Environment, type HttpAccessSettings } from "@/db/schema";
import type { LogSink } from "./log-sink";
import { loadProjectConfig } from "@/lib/config/load-config";
import { formatConfigError, type ProjectConfig } from "@/lib/config/parse-config";
import { childProcessEnv, env as appEnv } from "@/lib/env";
import { dataPaths, removeTree, writeOwnFile } from "@/lib/paths";
import { checkoutInto, treeOf } from "@/lib/git/repository";
import { runFile } from "@/lib/process-runner";
import { cgroupsAvailable, cpuLimitAvailable } from "./hook-cgroup";
import { describeCpus, hookLimits, runHook, type HookPhase, type HookResult } from "./run-hook";
import { hookSeccomp } from "./seccomp";
import { SANDBOX_APP_DIR, sandboxSupport } from "./sandbox";
import { effectiveHttpAccess, routerDigestOf } from "./http-access";
import { openMailEndpoint, openMailRelay, type MailEndpoint } from "./mail-endpoint";
import { ensureVolumes, mountBinds, prepareMountPlaces } from "./volumes";
import { getRuntimeDriver } from "./driver/get-driver";
import { forgetRouterTarget, PAUSED_FILE } from "./router-targets";
import { appLogTarget, releaseAppLogTargets } from "./driver/app-log-target";
import { deleteEnvironmentLogs } from "./app-logs/app-log-writers";
import type { ReleaseServices, ReleaseSpec, ServiceSpec } from "./driver/runtime-driver";
import { amqpForwards, buildRelationships, type RelationshipEntry, type RelationshipService } from "./services/service-relationships";
import { serviceKindOf } from "./services/service-engines";
import { environmentServiceCredentials } from "./services/stored-credentials";
import { serviceDataDir } from "./volumes";

/** In each deploy directory: the web root of `web.locations["/"]`, for the environment router. */
export const WEB_ROOT_FILE = ".web-root";
/**
 * The router's settings kept beside a deployment (`<deployment>.router.json`: outside the
 * folder its processes see at /app, so no hook or running application reads the login hashes).
 * Deployments made before applications ran kept it inside, under this name (never served).
 */
export const ROUTER_FILE = ".router.json";
/** Beside a deployment the router serves as static files, because this host cannot run its application: the sentence why. */
export const STATIC_SITE_SUFFIX = ".static";

/** Longest reason read back from a `.static` file (it is ours, written beside the deployment, but a page shows it). */
const MAX_STATIC_REASON = 2_000;

/**
 * Why the deployment an environment serves is served as static files (the sentence its deploy
 * wrote beside it), or null when it runs its application or nothing is deployed.
 */
export function staticSiteReason(projectId: string, environmentName: string): string | null {
  try {
    const deployDir = fs.realpathSync(path.join(dataPaths.environmentDeploys(projectId, environmentName), "current"));
    const fd = fs.openSync(`${deployDir}${STATIC_SITE_SUFFIX}`, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) return null;
      const buffer = Buffer.alloc(MAX_STATIC_REASON);
      const read = fs.readSync(fd, buffer, 0, MAX_STATIC_REASON, 0);
      return buffer.subarray(0, read).toString("utf8").trim() || "this host cannot run the application.";
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Where the router finds a deployment's settings. */
export function routerSettingsFile(deployDir: string): string {
  return `${deployDir}${ROUTER_FILE}`;
}
export { PAUSED_FILE } from "./router-targets";

export interface RouterSettings {
  httpAccess: HttpAccessSettings;
  restrictRobots: boolean;
}

/** What the router is to enforce for `env` now: its access control (or the one it inherits) and its robots setting. */
export async function currentRouterSettings(db: Db, env: Environment): Promise<RouterSettings> {
  const all = await db
    .select({ id: environments.id, parentId: environments.parentId, httpAccess: environments.httpAccess, httpAccessInherited: environments.httpAccessInherited })
    .from(environments)
    .where(eq(environments.projectId, env.projectId));
  const byId = new Map(all.map((e) => [e.id, e]));
  if (!byId.has(env.id)) byId.set(env.id, env);
  return { httpAccess: effectiveHttpAccess(env.id, byId).access, restrictRobots: env.restrictRobots };
}

/**
 * Pauses (the router answers 503, every process of the environment stops) or resumes an
 * environment's site (its current release starts again and must answer). Returns what failed.
 */
export async function setPaused(projectId: string, environmentName: string, paused: boolean, log?: LogSink, db?: Db): Promise<DeployOutcome> {
  const dir = environmentDeployDir(projectId, environmentName);
  if (paused) {
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.writeFile(path.join(dir, PAUSED_FILE), new Date().toISOString());
    forgetRouterTarget(projectId, environmentName);
    await getRuntimeDriver().stopEnvironment(projectId, environmentName, `${environmentName} is paused; stopping its processes.`);
    // Its services after the application that uses them (their data is kept; Resume starts them again first).
    await getRuntimeDriver().stopServices(projectId, environmentName, `${environmentName} is paused; stopping its services.`);
    return { ok: true };
  }
  const revived = await reviveEnvironment(projectId, environmentName, log, db);
  await fs.promises.rm(path.join(dir, PAUSED_FILE), { force: true });
  forgetRouterTarget(projectId, environmentName);
  return revived;
}

/**
 * A LogSink whose lines go to `also` (an application log) besides `log` (an activity's), or
 * to `also` alone: a deploy hook's output reaches deploy.log, a running release's SMTP endpoint
 * writes app.log.
 */
export function logTo(also: { line(text: string, stream?: "stdout" | "stderr"): void }, log?: LogSink): LogSink {
  return {
    line: (text, stream) => {
      log?.line(text, stream);
      also.line(text, stream === "stderr" ? "stderr" : "stdout");
    },
    setSection: (name) => log?.setSection(name),
    isBackedUp: () => log?.isBackedUp() ?? false,
    drained: () => log?.drained() ?? Promise.resolve(),
  };
}

/** The running release's SMTP endpoint: the environment's Mailbox and relay, its messages recorded under the release's deploy. */
function releaseMail(db: Db, projectId: string, environment: Environment, releaseId: string): ReleaseServices {
  return {
    openMail: async () => {
      const endpoint = await openMailEndpoint({ db, projectId, environment, activityId: releaseId, log: logTo(appLogTarget(projectId, environment.name, "app")), sandboxed: true, relay: openMailRelay(environment) });
      return { socketPath: endpoint.socketPath, env: endpoint.hookEnv, close: () => endpoint.close() };
    },
  };
}

/** The environment row a revived release's SMTP endpoint needs, or no endpoint. */
async function revivedMail(db: Db | undefined, projectId: string, environmentName: string, releaseId: string): Promise<ReleaseServices | undefined> {
  if (!db) return undefined;
  const [env] = await db.select().from(environments).where(and(eq(environments.projectId, projectId), eq(environments.name, environmentName)));
  return env ? releaseMail(db, projectId, env, releaseId) : undefined;
}

/**
 * At the server's start: every environment that served a release when the server stopped (not
 * paused, not static) runs it again, two at a time, in the background. Says each failure.
 */
export async function reviveEnvironments(log: (line: string) => void, db?: Db): Promise<number> {
  const root = path.dirname(path.dirname(environmentDeployDir("x", "x")));
  const todo: [string, string][] = [];
  for (const project of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const projectDir = path.join(root, project);
    for (const environment of fs.readdirSync(projectDir).filter((e) => !e.startsWith("."))) {
      const dir = path.join(projectDir, environment);
      if (fs.existsSync(path.join(dir, "current")) && !fs.existsSync(path.join(dir, PAUSED_FILE))) todo.push([project, environment]);
    }
  }
  let revived = 0;
  const next = async (): Promise<void> => {
    const item = todo.shift();
    if (!item) return;
    const [project, environment] = item;
    const r = await reviveEnvironment(project, environment, undefined, db).catch((err: Error) => ({ ok: false as const, message: err.message }));
    if (r.ok) revived++;
    else log(`[runtime] ${project}/${environment} was not started again: ${r.message}`);
    return next();
  };
  await Promise.all([next(), next()]);
  return revived;
}

/** Starts the release an environment serves (after Resume, or when the server starts), unless its site is static. */
export async function reviveEnvironment(projectId: string, environmentName: string, log?: LogSink, db?: Db): Promise<DeployOutcome> {
  const current = path.join(environmentDeployDir(projectId, environmentName), "current");
  let deployDir: string;
  try {
    deployDir = fs.realpathSync(current);
  } catch {
    return { ok: true }; // nothing deployed yet
  }
  if (fs.existsSync(`${deployDir}${STATIC_SITE_SUFFIX}`)) return { ok: true };
  const sink: LogSink = log ?? { line: () => undefined, setSection: () => undefined, isBackedUp: () => false, drained: async () => undefined };
  const releaseId = path.basename(deployDir);
  const started = await getRuntimeDriver().reviveRelease(projectId, environmentName, releaseId, deployDir, sink, await revivedMail(db, projectId, environmentName, releaseId));
  if (!started.ok) sink.line(started.message, "stderr");
  return started.ok ? { ok: true } : { ok: false, message: started.message };
}


export interface DeployContext {
  db: Db;
  log: LogSink;
  activityId: string;
  projectId: string;
  environment: Environment;
  commit: string;
  /** Cancel: stops the running hook (its whole sandbox) in every phase. */
  signal?: AbortSignal;
  onPhase?: (phase: "build" | "deploy") => Promise<void>;
  /** The project's and environment's variables as the build and runtime hooks get them (lib/variables). */
  variables?: DeployVariables;
  /** A Roll back: the earlier deployment and the kept build folder it is switched to (no build runs; a build that is gone fails the deploy). */
  rollback?: { deploymentId: string | null; buildKey: string };
}

/** A build folder's name under the project's builds: the tree, and the digest of its build-visible variables if any. */
export const BUILD_KEY = /^[0-9a-f]{40}(?:-[0-9a-f]{16})?$/;

export interface DeployVariables {
  build: { shell: Record<string, string>; magentoCloudVariables: string };
  runtime: { shell: Record<string, string>; magentoCloudVariables: string };
  /** Part of the build's reuse key: a change to what the build sees builds again. */
  buildDigest: string;
  /** Kept with the deployment: differs from the current one → "redeploy to apply". */
  digest: string;
}

/** `disk:` is in MB, as on the platform (MiB in fact). */
const MB = 1024 * 1024;

const NO_VARIABLES = Buffer.from("{}").toString("base64");

export type DeployOutcome = { ok: true } | { ok: false; message: string; cancelled?: boolean };

export function buildsDir(projectId: string) {
  return dataPaths.builds(projectId);
}
export function environmentDeployDir(projectId: string, environmentName: string) {
  return dataPaths.environmentDeploys(projectId, environmentName);
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64");
}

/** The host name of an environment on this machine's environment router. */
export function environmentHost(projectId: string, environmentName: string): string {
  return `${environmentName}.${projectId}.localhost:${appEnv().ENV_PORT}`;
}

/** The URLs of an environment's routes on this machine's environment router. */
export function resolveRoutes(config: ProjectConfig, projectId: string, environmentName: string): Record<string, unknown> {
  const host = environmentHost(projectId, environmentName);
  return Object.fromEntries(
    Object.entries(config.routes).map(([template, route]) => [
      template.replace("{default}", host).replace("{all}", host),
      { ...route, original_url: template, ...(route.type === "redirect" ? { to: route.to.replace("{default}", host) } : {}) },
    ]),
  );
}

/** The environment's site on the router: each route of routes.yaml resolved, and the path form. */
export function environmentUrls(config: ProjectConfig, projectId: string, environmentName: string) {
  const routes = Object.entries(resolveRoutes(config, projectId, environmentName)).map(([url, route]) => {
    const r = route as { original_url: string; type: string; to?: string };
    return { url, template: r.original_url, redirect: r.type === "redirect" ? (r.to ?? null) : null };
  });
  return { routes, pathUrl: `http://localhost:${appEnv().ENV_PORT}/${projectId}/${environmentName}/` };
}

/**
 * The platform's variables of a deploy. MAGENTO_CLOUD_RELATIONSHIPS is empty here (the build
 * reaches no service, and a build is shared by every environment of the same tree: no
 * environment's credentials may reach it); the deploy hooks and the application get the real
 * ones (`environmentServices`) once the services answer.
 */
function hookEnv(ctx: DeployContext, config: ProjectConfig, treeId: string): Record<string, string> {
  return {
    MAGENTO_CLOUD_PROJECT: ctx.projectId,
    MAGENTO_CLOUD_ENVIRONMENT: ctx.environment.name,
    MAGENTO_CLOUD_BRANCH: ctx.environment.name,
    MAGENTO_CLOUD_ENVIRONMENT_TYPE: ctx.environment.type,
    MAGENTO_CLOUD_APP_DIR: SANDBOX_APP_DIR,
    MAGENTO_CLOUD_DOCUMENT_ROOT: path.posix.join(SANDBOX_APP_DIR, config.app.web.locations["/"]?.root ?? ""),
    MAGENTO_CLOUD_TREE_ID: treeId,
    MAGENTO_CLOUD_APPLICATION_NAME: config.app.name,
    MAGENTO_CLOUD_APPLICATION: b64(config.app),
    MAGENTO_CLOUD_RELATIONSHIPS: b64({}),
    MAGENTO_CLOUD_ROUTES: b64(resolveRoutes(config, ctx.projectId, ctx.environment.name)),
    MAGENTO_CLOUD_VARIABLES: NO_VARIABLES,
  };
}

/** A phase's environment: the `env:` variables as shell variables, under the platform's own MAGENTO_CLOUD_* (which they cannot replace). */
function phaseEnv(base: Record<string, string>, vars: DeployVariables["build"] | undefined): Record<string, string> {
  return vars ? { ...vars.shell, ...base, MAGENTO_CLOUD_VARIABLES: vars.magentoCloudVariables } : base;
}

function describeFailure(hook: string, r: HookResult): string {
  const name = hook.replace("_", " ");
  if (r.refused) return r.refusal ?? `The ${name} hook was not run: hooks need a sandbox (HOOK_SANDBOX=required) and bubblewrap does not work on this machine.`;
  if (r.cancelled) return `The ${name} hook was cancelled.`;
  if (r.limit === "time") return `The ${name} hook timed out and was stopped.`;
  if (r.limit === "memory") return `The ${name} hook ran out of memory.`;
  if (r.limit === "disk") return `The ${name} hook wrote more than its disk allows and was stopped.`;
  if (r.limit === "processes") return `The ${name} hook reached its process limit (exit code ${r.exitCode ?? r.signal}).`;
  return `The ${name} hook failed (exit code ${r.exitCode ?? r.signal}).`;
}

/** One line at the start of a deploy's log: how its hooks are contained (runHook itself warns when they are not). */
async function describeContainment(disk: number): Promise<string | null> {
  if (!sandboxSupport().ok) return null;
  const build = hookLimits("build");
  const deploy = hookLimits("deploy");
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  const network = appEnv().HOOK_BUILD_NETWORK ? "the build has the host network (HOOK_BUILD_NETWORK=1), deploy hooks none" : "no network";
  const seccomp = (await hookSeccomp()).ok ? "system calls filtered (seccomp)" : "NO system-call filter (seccomp)";
  const cpu = cpuLimitAvailable() ? `${describeCpus(build.cpus)} per hook (HOOK_CPUS)` : "CPU not limited (no cgroup with the cpu controller can be made here)";
  return `Hooks run sandboxed: they see /app and this environment's mounts only; ${network}; ${seccomp}; ${Math.round(build.memoryBytes / 1024 / 1024)} MiB and ${build.maxProcesses} processes ${cgroupsAvailable() ? "per hook" : "per process"}; ${cpu}; ${disk} MB of disk for the build and for the mounts (disk); ${minutes(build.timeoutMs)} for the build, ${minutes(deploy.timeoutMs)} per deploy hook.`;
}

/**
 * A real deploy: validate the configuration at the commit, build (or reuse the build of
 * the same tree), run deploy and post_deploy in a fresh copy, then switch the
 * environment's `current` link to it. Any failure leaves the previous deployment current.
 */
export async function deployCommit(ctx: DeployContext): Promise<DeployOutcome> {
  // The environment's SMTP endpoint, open while its hooks run.
  const mail = await openMailEndpoint({ db: ctx.db, projectId: ctx.projectId, environment: ctx.environment, activityId: ctx.activityId, log: ctx.log, sandboxed: sandboxSupport().ok, relay: openMailRelay(ctx.environment) });
  try {
    return await deployWithMail(ctx, mail);
  } finally {
    await mail.close();
  }
}

async function deployWithMail(ctx: DeployContext, mail: MailEndpoint): Promise<DeployOutcome> {
  const { log } = ctx;
  const started = Date.now();
  const treeId = await treeOf(ctx.projectId, ctx.commit);
  log.line(`Deploying commit ${ctx.commit.slice(0, 12)} (tree ${treeId.slice(0, 12)}) to ${ctx.environment.name}`);

  const parsed = await loadProjectConfig(ctx.projectId, ctx.commit);
  if (!parsed.ok) {
    for (const e of parsed.errors) log.line(`Configuration error: ${formatConfigError(e)}`, "stderr");
    return { ok: false, message: `The configuration is invalid: ${formatConfigError(parsed.errors[0]!)}` };
  }
  const config = parsed.config;
  const baseEnv = { ...hookEnv(ctx, config, treeId), ...mail.hookEnv };
  const buildEnv = phaseEnv(baseEnv, ctx.variables?.build);
  const runtimePhaseEnv = phaseEnv(baseEnv, ctx.variables?.runtime);
  const containment = await describeContainment(config.app.disk);
  if (containment) log.line(containment);

  // Build ------------------------------------------------------------------
  log.setSection("build");
  await ctx.onPhase?.("build");
  const buildStarted = Date.now();
  // A build is reused for the same tree and the same build-visible variables.
  const buildVars = ctx.variables?.build;
  const hasBuildVars = Boolean(buildVars && (Object.keys(buildVars.shell).length > 0 || buildVars.magentoCloudVariables !== NO_VARIABLES));
  const buildDir = path.join(buildsDir(ctx.projectId), ctx.rollback ? ctx.rollback.buildKey : hasBuildVars ? `${treeId}-${ctx.variables!.buildDigest.slice(0, 16)}` : treeId);
  const marker = path.join(buildDir, ".build-complete");
  let buildReused = false;
  if (ctx.rollback) {
    if (!BUILD_KEY.test(ctx.rollback.buildKey) || !ctx.rollback.buildKey.startsWith(treeId) || !fs.existsSync(marker)) {
      const why = `The build of that deployment (tree ${treeId.slice(0, 12)}) is no longer kept, so it cannot be switched to without building: redeploy its commit from a branch instead.`;
      log.line(why, "stderr");
      return { ok: false, message: why };
    }
    buildReused = true;
    log.line(
      ctx.rollback.deploymentId
        ? `Rolling back to the kept build of tree ${treeId.slice(0, 12)}: no build runs. Data is not rolled back.`
        : `Deploying the build the backup was taken with (tree ${treeId.slice(0, 12)}, kept): no build runs.`,
    );
  } else if (fs.existsSync(marker)) {
    buildReused = true;
    log.line(`Reusing the build of tree ${treeId.slice(0, 12)}: this tree was already built${hasBuildVars ? " with the same build-visible variables" : ""}.`);
  } else {
    const tmp = `${buildDir}.tmp-${ctx.activityId}`;
    await removeTree(tmp);
    await checkoutInto(ctx.projectId, ctx.commit, tmp);
    log.line(`Building application '${config.app.name}' (runtime type: ${config.app.type}, tree: ${treeId.slice(0, 7)})`);
    if (config.app.hooks.build) {
      log.line("Executing build hook…");
      const sandbox = { appDir: tmp, appWritable: true, binds: [], network: appEnv().HOOK_BUILD_NETWORK, smtpSocket: mail.socketPath };
      const disk = { dirs: [tmp], limitBytes: config.app.disk * MB };
      const r = await runHook({ script: config.app.hooks.build, phase: "build", sandbox, env: buildEnv, log, disk, signal: ctx.signal });
      if (r.exitCode !== 0) {
        await removeTree(tmp);
        return { ok: false, message: describeFailure("build", r), cancelled: r.cancelled };
      }
    }
    writeOwnFile(path.join(tmp, ".build-complete"), new Date().toISOString());
    try {
      fs.renameSync(tmp, buildDir);
    } catch {
      await removeTree(tmp); // another deploy built the same tree first
    }
  }
  const buildMs = Date.now() - buildStarted;
  log.line(`Build finished in ${(buildMs / 1000).toFixed(1)} s.`);

  // Deploy and post-deploy, in a fresh copy -----------------------------------
  if (ctx.signal?.aborted) return { ok: false, message: "Cancelled during the build.", cancelled: true };
  log.setSection("deploy");
  await ctx.onPhase?.("deploy");
  const deployStarted = Date.now();
  const driver = getRuntimeDriver();
  const envDir = environmentDeployDir(ctx.projectId, ctx.environment.name);
  const target = path.join(envDir, ctx.activityId);
  fs.mkdirSync(envDir, { recursive: true });
  await removeTree(target);
  // A process copies (cp -a: links, pipes and sockets stay what they are, relative links
  // relative), not the server's thread. A copy that fails (a full disk) leaves nothing behind.
  const copy = await runFile("cp", ["-a", "--reflink=auto", "-T", buildDir, target], { env: childProcessEnv({}) });
  if (copy.exitCode !== 0) {
    await removeTree(target);
    const why = (copy.failure ?? copy.stderr.trim().split("\n").slice(0, 3).join("; ")) || `exit ${copy.exitCode ?? copy.signal}`;
    log.line(`The build could not be copied into a new deployment: ${why}`, "stderr");
    return { ok: false, message: `Copying the build into a new deployment failed: ${why}. The previous deployment stays current.` };
  }
  // The server's own files in the deployment: whatever the build left at their names (a link
  // to /etc/shadow, say) is removed, not written through.
  writeOwnFile(path.join(target, ".deploy-commit"), ctx.commit);
  // (root: null serves no file: a folder name no deployment has.)
  const webRoot = config.app.web.locations["/"]?.root;
  writeOwnFile(path.join(target, WEB_ROOT_FILE), webRoot === null ? ".no-web-root" : (webRoot ?? ""));
  // Each mount's place becomes an empty folder (never following what the build left there),
  // and the sandbox binds the mount's own folder onto it: a hook sees its mounts and nothing
  // of the folders around them (the live generation, `current`, other environments).
  let binds: { source: string; dest: string }[];
  let liveData: string;
  try {
    const mounts = await prepareMountPlaces(target, config);
    const live = await ensureVolumes(ctx.projectId, ctx.environment.name, config);
    liveData = live;
    binds = mountBinds(live, mounts, SANDBOX_APP_DIR);
    if (!sandboxSupport().ok) {
      // Unsandboxed hooks (HOOK_SANDBOX=auto without bubblewrap) run on the host: the place links to the mount's folder.
      for (const m of mounts) {
        fs.rmdirSync(path.join(target, m.path));
        fs.symlinkSync(path.join(live, m.folder), path.join(target, m.path));
      }
    }
  } catch (err) {
    await removeTree(target);
    log.line(`The environment's mounts could not be prepared: ${(err as Error).message}`, "stderr");
    return { ok: false, message: `Preparing the mounts failed: ${(err as Error).message}. The previous deployment stays current.` };
  }
  // The environment's services, started (or kept running) before the hooks and the application, and answering.
  const services = await environmentServices(ctx, config, liveData);
  for (const line of services.notHere) log.line(line);
  const secrets = services.specs.flatMap((spec) => [spec.credentials.password, spec.credentials.adminPassword]);
  if (services.specs.length > 0) {
    const servicesStarted = await driver.startServices(ctx.projectId, ctx.environment.name, services.specs, log, ctx.signal);
    if (!servicesStarted.ok) {
      await removeTree(target);
      log.line("The previous deployment stays current.");
      return { ok: false, message: `${servicesStarted.message} The previous deployment stays current.`, cancelled: ctx.signal?.aborted };
    }
  }
  const serviceIds = services.specs.map((spec) => spec.serviceId);
  const env = { ...runtimePhaseEnv, MAGENTO_CLOUD_RELATIONSHIPS: b64(services.relationships) };
  const steps: [HookPhase, string, string | undefined][] = [
    ["deploy", "deploy", config.app.hooks.deploy],
    ["post_deploy", "post-deploy", config.app.hooks.post_deploy],
  ];
  // Deploy hooks see the build read-only, and their environment's own mounts writable.
  // (and their services' socket folders read-only at /run/services/<id>, as the application does).
  // A RabbitMQ is reached on 127.0.0.1:5672 in the hook's sandbox too (sandbox-forwarder.ts).
  const forwards = amqpForwards(services.specs.map((s) => ({ serviceId: s.serviceId, type: s.service.type })));
  const sandbox = { appDir: target, appWritable: false, binds, roBinds: driver.serviceSocketBinds(ctx.projectId, ctx.environment.name, serviceIds), network: false, smtpSocket: mail.socketPath, forwards };
  for (const [hook, section, script] of steps) {
    log.setSection(section);
    if (!script) continue;
    log.line(`Executing ${hook.replace("_", " ")} hook for application ${config.app.name}`);
    const disk = { dirs: binds.map((b) => b.source), limitBytes: config.app.disk * MB };
    // The hook's lines also go to the environment's deploy.log / post-deploy.log (Logs tab).
    const file = appLogTarget(ctx.projectId, ctx.environment.name, section);
    file.line(`${ctx.activityId}: ${hook.replace("_", " ")} hook of commit ${ctx.commit.slice(0, 12)}`);
    // (No service's password reaches a log, even when a hook prints MAGENTO_CLOUD_RELATIONSHIPS.)
    const teed = redacting(logTo(file, log), secrets);
    const r = await runHook({ script, phase: hook, sandbox, env, log: teed, disk, signal: ctx.signal });
    if (r.exitCode !== 0) {
      await removeTree(target);
      log.line(`The previous deployment stays current.${r.cancelled ? " What the deploy hook changed in the environment's mounts before it was stopped stays changed." : ""}`);
      return { ok: false, message: describeFailure(hook, r), cancelled: r.cancelled };
    }
  }

  // The router's settings, written after every hook ran, beside the deployment: no hook and no running application can read the login hashes.
  const routerSettings = await currentRouterSettings(ctx.db, ctx.environment);
  writeOwnFile(routerSettingsFile(target), JSON.stringify(routerSettings), 0o600);

  // Start the new release beside the one serving, and switch only once it answers.
  log.setSection("start");
  const support = driver.support(config);
  if (support.ok) {
    const spec: ReleaseSpec = { projectId: ctx.projectId, environmentName: ctx.environment.name, releaseId: ctx.activityId, deployDir: target, config, env: runtimeEnv(env), binds, services: services.specs };
    const started = await driver.startRelease(spec, log, ctx.signal, releaseMail(ctx.db, ctx.projectId, ctx.environment, ctx.activityId));
    if (!started.ok) {
      log.line(started.message, "stderr");
      await removeTree(target);
      fs.rmSync(routerSettingsFile(target), { force: true });
      log.line("The previous deployment stays current.");
      return { ok: false, message: `${started.message} The previous deployment stays current.` };
    }
  } else {
    const why = `This host cannot run the application: ${support.reason}. The router serves the deployment's web root as static files; no application code runs.`;
    log.line(why, "stderr");
    writeOwnFile(`${target}${STATIC_SITE_SUFFIX}`, why);
  }

  // Switch atomically: a new symlink renamed over `current` (a paused environment resumes: the marker goes with the old folders).
  const current = path.join(envDir, "current");
  const previous = fs.existsSync(current) ? fs.realpathSync(current) : null;
  const link = path.join(envDir, `.current-${ctx.activityId}`);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
  fs.renameSync(link, current);
  forgetRouterTarget(ctx.projectId, ctx.environment.name);
  // The release it replaced finishes the requests it holds, then stops.
  if (previous && previous !== target) await driver.stopRelease(ctx.projectId, ctx.environment.name, path.basename(previous), `Release ${path.basename(previous)} was replaced by ${ctx.activityId}; stopping it.`);
  // Services the new configuration no longer has (or that no longer run here) stop once nothing serving uses them.
  await driver.stopServices(ctx.projectId, ctx.environment.name, "The service is no longer in .magento/services.yaml; stopping it.", { keep: serviceIds });
  // Kept: the new deployment and the one before it (requests in flight), with what lies beside them.
  const kept = [target, previous].filter((d): d is string => d !== null).map((d) => path.basename(d));
  for (const entry of fs.readdirSync(envDir)) {
    if (entry === "current" || kept.some((k) => entry === k || entry === `${k}${ROUTER_FILE}` || entry === `${k}${STATIC_SITE_SUFFIX}`)) continue;
    await removeTree(path.join(envDir, entry));
  }
  forgetRouterTarget(ctx.projectId, ctx.environment.name); // (a paused environment's marker went too)
  const deployMs = Date.now() - deployStarted;
  log.setSection(null);
  log.line(`Environment ${ctx.environment.name} now serves commit ${ctx.commit.slice(0, 12)} (deploy ${(deployMs / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s).`);
  for (const url of Object.keys(resolveRoutes(config, ctx.projectId, ctx.environment.name))) log.line(`  ${url}`);

  await ctx.db.transaction(async (tx) => {
    await tx.insert(deployments).values({
      environmentId: ctx.environment.id,
      activityId: ctx.activityId,
      commit: ctx.commit,
      treeId,
      config,
      buildReused,
      variablesDigest: ctx.variables?.digest ?? null,
      routerDigest: routerDigestOf(routerSettings),
      buildMs,
      deployMs,
      buildKey: path.basename(buildDir),
      rollbackOf: ctx.rollback?.deploymentId ?? null,
    });
    await tx.update(environments).set({ deployedCommit: ctx.commit, deployedAt: new Date(), pausedAt: null, updatedAt: new Date() }).where(eq(environments.id, ctx.environment.id));
  });
  return { ok: true };
}

/** What a deploy runs of services.yaml: each service that runs here (with its data folder and credentials), the relationships, and a sentence for each that does not. */
async function environmentServices(ctx: DeployContext, config: ProjectConfig, live: string): Promise<{ specs: ServiceSpec[]; relationships: Record<string, RelationshipEntry[]>; notHere: string[] }> {
  const driver = getRuntimeDriver();
  const specs: ServiceSpec[] = [];
  const notHere: string[] = [];
  const byId: Record<string, RelationshipService> = {};
  for (const [serviceId, service] of Object.entries(config.services)) {
    const support = driver.serviceSupport(service.type);
    if (!support.ok) {
      notHere.push(`The service ${serviceId} (${service.type}): ${support.reason}${support.reason.includes("relationships") ? "" : " It is not started, and relationships leave it out."}`);
      byId[serviceId] = { type: service.type, runs: { reason: support.reason } };
      continue;
    }
    const credentials = await environmentServiceCredentials(ctx.db, ctx.environment.id, serviceId, support.engine);
    const size = (service as { size?: unknown }).size;
    const kind = serviceKindOf(service.type);
    specs.push({
      serviceId,
      service: { type: service.type, ...(service.disk ? { disk: service.disk } : {}), ...(typeof size === "string" ? { size } : {}) },
      // A cache (`redis:`) keeps nothing; every other engine keeps its files in the service's volume.
      dataDir: kind.runnable && kind.persistent ? serviceDataDir(live, serviceId) : null,
      credentials,
    });
    byId[serviceId] = { type: service.type, runs: { engine: support.engine, credentials } };
  }
  return { specs, relationships: buildRelationships(config.app.relationships, byId).relationships, notHere };
}

/** A LogSink that writes `secrets` as ****** (a hook that prints MAGENTO_CLOUD_RELATIONSHIPS shows no password). */
function redacting(log: LogSink, secrets: readonly string[]): LogSink {
  if (secrets.length === 0) return log;
  return {
    line: (text, stream) => log.line(secrets.reduce((clean, secret) => (secret ? clean.split(secret).join("******") : clean), text), stream),
    setSection: (name) => log.setSection(name),
    isBackedUp: () => log.isBackedUp(),
    drained: () => log.drained(),
  };
}

/** The variables a running application gets: the deploy's runtime ones without the deploy's own e-mail endpoint (which closes with the deploy). */
function runtimeEnv(env: Record<string, string>): Record<string, string> {
  const { MAGENTO_CLOUD_SMTP_HOST: _host, MAGENTO_CLOUD_SMTP_PORT: _port, ...rest } = env;
  return rest;
}

/**
 * What a deploy of `activityId` leaves when its worker dies mid-way, removed when the
 * activity is abandoned: its half-made build (`<tree>.tmp-<activity>`) and its deploy
 * folder, unless that folder already became the environment's current deployment.
 */
export async function removeDeployLeftovers(projectId: string, environmentName: string, activityId: string): Promise<void> {
  const builds = buildsDir(projectId);
  for (const entry of fs.existsSync(builds) ? fs.readdirSync(builds) : []) {
    if (entry.endsWith(`.tmp-${activityId}`) || entry.endsWith(`.tmp-${activityId}.index`)) await removeTree(path.join(builds, entry));
  }
  const envDir = environmentDeployDir(projectId, environmentName);
  if (!fs.existsSync(envDir)) return;
  const target = path.join(fs.realpathSync(envDir), activityId);
  const current = fs.existsSync(path.join(envDir, "current")) ? fs.realpathSync(path.join(envDir, "current")) : null;
  if (current !== target) {
    await getRuntimeDriver().stopRelease(projectId, environmentName, activityId, `The deploy ${activityId} was abandoned; stopping what it started.`);
    await removeTree(target);
    for (const suffix of [ROUTER_FILE, STATIC_SITE_SUFFIX]) fs.rmSync(`${target}${suffix}`, { force: true });
  }
  fs.rmSync(path.join(envDir, `.current-${activityId}`), { force: true });
}

/** Deactivate: the environment's deployments go away (its branch stays). */
export async function removeEnvironmentDeploys(projectId: string, environmentName: string): Promise<void> {
  await getRuntimeDriver().stopEnvironment(projectId, environmentName, `${environmentName} is being deactivated or deleted; stopping its processes.`);
  // Then its services, and their runtime folders (their configuration holds the credentials).
  await getRuntimeDriver().removeServices(projectId, environmentName, `${environmentName} is being deactivated or deleted; stopping its services.`);
  await releaseAppLogTargets(projectId, environmentName);
  await removeTree(environmentDeployDir(projectId, environmentName));
  forgetRouterTarget(projectId, environmentName);
}

/** A project is being deleted (in its request): every process of its environments is stopped at once, with no grace, and their log files are closed. */
export async function stopProjectEnvironments(projectId: string): Promise<void> {
  const dir = dataPaths.deploys(projectId);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  await Promise.all(
    names.map(async (name) => {
      await getRuntimeDriver().stopEnvironment(projectId, name, `The project ${projectId} is being deleted; stopping ${name}'s processes.`, { now: true });
      await getRuntimeDriver().removeServices(projectId, name, `The project ${projectId} is being deleted; stopping ${name}'s services.`, { now: true });
      await releaseAppLogTargets(projectId, name);
    }),
  );
}

/** Delete: the environment's application logs go too (Deactivate keeps them, as its branch stays). */
export async function removeEnvironmentLogs(projectId: string, environmentName: string): Promise<void> {
  await deleteEnvironmentLogs(projectId, environmentName);
}
