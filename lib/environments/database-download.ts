/**
 * Download database: a logical dump of one relationship's database (MariaDB/MySQL or
 * PostgreSQL) of an environment, streamed to an admin of the environment's type as it is made
 * (lib/runtime/services/service-dump.ts runs the client in its sandbox). What the request asks is
 * checked in this order, each refusal with a sentence: who asks (404 if they may not see the
 * environment, 403 unless admin of its type), the name (letters, digits, `_`, `-`, `.`, at most
 * 64), the environment's deployed configuration (the relationship exists, leads to a database,
 * whose engine runs here), and the service itself (its socket accepts connections now). The dump
 * is read at the client's pace, and stops, with everything it started, when the client goes away,
 * when nobody reads it for DUMP_IDLE_MS, or after DUMP_TIMEOUT_MS.
 */
import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import stream, { type Readable } from "node:stream";
import zlib from "node:zlib";
import { z } from "zod";
import type { Db } from "@/db/client";
import type { Environment } from "@/db/schema";
import { canSeeEnvironmentType, hasRole, type ProjectAccess } from "@/lib/auth/permissions";
import type { ProjectConfig } from "@/lib/config/parse-config";
import { DomainError } from "@/lib/errors";
import { dataPaths } from "@/lib/paths";
import { SOCKET_NAMES } from "@/lib/runtime/services/service-config";
import { describeDuration, DUMP_CLIENTS, startServiceDump, type DumpEngine } from "@/lib/runtime/services/service-dump";
import { serviceKindOf } from "@/lib/runtime/services/service-engines";
import { hostServiceEngine } from "@/lib/runtime/services/service-host";
import { serviceRuntimeDir, serviceSocketDir } from "@/lib/runtime/services/service-paths";
import { getEnvironmentServiceCredentials } from "@/lib/runtime/services/stored-credentials";
import { connectNoFollow } from "@/lib/runtime/unix-socket";
import { latestDeployment } from "./queries";
import { typeLabel } from "./rules";

/** A dump is stopped after this long, whatever it is doing (a 2 GB database takes minutes). */
export const DUMP_TIMEOUT_MS = 4 * 60 * 60 * 1000;
/** …and when its client takes nothing for this long (gone without closing, or stuck). */
export const DUMP_IDLE_MS = 10 * 60 * 1000;

/** A relationship's name as a download's address may carry it. */
export const relationshipNameSchema = z
  .string()
  .max(64, "A relationship name has at most 64 characters.")
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "A relationship name is letters, digits, _, - and . (not first): no slashes or other path characters.");

const ENGINE_LABELS: Record<DumpEngine, string> = { mariadb: "MariaDB", postgresql: "PostgreSQL" };

/** A relationship of the deployed configuration whose service holds a database. */
export interface DatabaseRelationship {
  /** The relationship's name in .magento.app.yaml (`database`). */
  name: string;
  serviceId: string;
  /** Its services.yaml type (`mysql:10.6`). */
  type: string;
  engine: DumpEngine;
  /** "MariaDB", "PostgreSQL". */
  label: string;
}

/** Why a relationship cannot be dumped, as a DomainError; or the database it leads to. Pure but for the host's engines. */
function databaseOf(config: ProjectConfig, name: string, env: Environment): DatabaseRelationship {
  const target = Object.hasOwn(config.app.relationships, name) ? config.app.relationships[name] : undefined;
  if (!target) throw new DomainError("not_found", `${env.title} has no relationship “${name}” in its deployed .magento.app.yaml.`);
  const [serviceId = ""] = target.split(":");
  const service = Object.hasOwn(config.services, serviceId) ? config.services[serviceId] : undefined;
  if (!service) throw new DomainError("not_found", `The relationship ${name} leads to the service ${serviceId}, which is not in the deployed .magento/services.yaml.`);
  const kind = serviceKindOf(service.type);
  if (kind.runnable && kind.engine === "redis") throw new DomainError("invalid", `${name} is a Redis ${kind.persistent ? "store" : "cache"}: there is no database to dump.`);
  if (!kind.runnable || (kind.engine !== "mariadb" && kind.engine !== "postgresql")) {
    throw new DomainError("invalid", `${name} leads to ${serviceId} (${service.type}), which is not a database: only MariaDB, MySQL and PostgreSQL relationships can be downloaded.`);
  }
  return { name, serviceId, type: service.type, engine: kind.engine, label: ENGINE_LABELS[kind.engine] };
}

/** The deployed configuration's relationships that lead to a database (MariaDB/MySQL, PostgreSQL), by name (a stored configuration keeps no order). */
export function databaseRelationships(config: ProjectConfig, env: Environment): DatabaseRelationship[] {
  const found: DatabaseRelationship[] = [];
  for (const name of Object.keys(config.app.relationships).sort()) {
    try {
      found.push(databaseOf(config, name, env));
    } catch {
      // not a database
    }
  }
  return found;
}

const needsAdmin = (env: Environment) => `Downloading a database of ${env.title} needs the admin role on ${typeLabel(env.type)} environments.`;

/** The sentence for a service that does not answer, by what the environment is doing. */
function notRunning(env: Environment, serviceId: string): string {
  const what = env.status === "inactive" ? "activate" : env.pausedAt ? "resume" : "activate/resume";
  return `The service ${serviceId} is not running: ${what} the environment first${env.status === "inactive" || env.pausedAt ? "" : " (or wait until its deploy has started it)"}.`;
}

const socketPathOf = (access: ProjectAccess, env: Environment, db: DatabaseRelationship) =>
  path.join(serviceSocketDir(serviceRuntimeDir(access.project.id, env.name, db.serviceId)), SOCKET_NAMES[db.engine]);

/**
 * Whether something accepts connections on the service's socket now (a link put in its folder is
 * refused, never followed). No login: the application may have changed its own user's password,
 * and the dump logs in as the administrator; a client that cannot is said by its own error.
 */
function listening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectNoFollow(socketPath);
    const done = (value: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(false), 3000);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** One entry of the environment page's Download database control. */
export interface DatabaseDownloadLink {
  relationship: string;
  serviceId: string;
  label: string;
  href: string;
  /** Why it cannot be downloaded now, or null. */
  reason: string | null;
}

/**
 * The environment's database relationships for its page, each with its address or the reason it
 * cannot be downloaded now. Whether a service runs is read from its socket's presence (no
 * connection is made for a page view); the download itself asks the service.
 */
export function listDatabaseDownloads(access: ProjectAccess, env: Environment, config: ProjectConfig): DatabaseDownloadLink[] {
  if (!canSeeEnvironmentType(access, env.type)) return [];
  const isAdmin = hasRole(access.environmentRoles[env.type], "admin");
  return databaseRelationships(config, env).map((db) => {
    const engine = hostServiceEngine(db.type);
    let reason: string | null = null;
    if (!isAdmin) reason = needsAdmin(env);
    else if (!relationshipNameSchema.safeParse(db.name).success) reason = `The relationship name “${db.name.slice(0, 80)}” cannot be part of an address: rename it in .magento.app.yaml to download it.`;
    else if (!engine.ok) reason = engine.reason;
    else if (env.status === "inactive" || env.status === "deleting" || env.pausedAt || !fs.lstatSync(socketPathOf(access, env, db), { throwIfNoEntry: false })?.isSocket()) reason = notRunning(env, db.serviceId);
    const href = `/api/projects/${encodeURIComponent(access.project.id)}/environments/${encodeURIComponent(env.name)}/databases/${encodeURIComponent(db.name)}`;
    return { relationship: db.name, serviceId: db.serviceId, label: db.label, href, reason };
  });
}

/** The dump client failed before it wrote anything (its sentence says why). */
export class DatabaseDumpFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseDumpFailed";
  }
}

export interface DatabaseDownload {
  body: ReadableStream<Uint8Array>;
  filename: string;
  contentType: string;
}

/** `20260601T120000Z`: a UTC time that fits every file system's names. */
const fileTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");

/** Reads the first bytes the client writes, or null when it ends without writing any; the stream is left paused, the bytes still to be read. */
function firstBytes(output: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = (value: Buffer | null, error?: Error) => {
      output.off("readable", onReadable);
      output.off("end", onEnd);
      output.off("error", onError);
      output.off("close", onEnd);
      if (error) reject(error);
      else resolve(value);
    };
    const onReadable = () => {
      const chunk = output.read() as Buffer | null;
      if (chunk) {
        output.unshift(chunk);
        done(chunk);
      }
    };
    const onEnd = () => done(null);
    const onError = (e: Error) => done(null, e);
    output.on("readable", onReadable);
    output.once("end", onEnd);
    output.once("close", onEnd);
    output.once("error", onError);
  });
}

/** Dumps running now, per "<project>/<environment>" (this process's). */
const dumpsRunning = new Map<string, number>();
const MAX_DUMPS_PER_ENVIRONMENT = 2;

/**
 * Starts the download of relationship `name` of `env` for an admin of its type: a dump streamed as
 * `application/sql` (or gzip-compressed, `gzip`), named `<project>-<environment>-<relationship>-<UTC time>.sql[.gz]`.
 * Expected refusals are DomainErrors; a client that fails before writing anything is DatabaseDumpFailed.
 * `signal` (the request's) stops the dump when the client goes away.
 */
export async function openDatabaseDownload(
  db: Db,
  access: ProjectAccess,
  env: Environment,
  name: string,
  options: { gzip?: boolean; signal?: AbortSignal; timeoutMs?: number; idleMs?: number } = {},
): Promise<DatabaseDownload> {
  if (env.projectId !== access.project.id || !canSeeEnvironmentType(access, env.type)) throw new DomainError("not_found", "This environment does not exist.");
  if (!hasRole(access.environmentRoles[env.type], "admin")) throw new DomainError("forbidden", needsAdmin(env));
  const parsed = relationshipNameSchema.safeParse(name);
  if (!parsed.success) throw new DomainError("invalid", parsed.error.issues[0]!.message);
  const deployment = await latestDeployment(db, env.id);
  if (!deployment) throw new DomainError("conflict", `${env.title} has not been deployed yet: it has no database to download.`);
  const database = databaseOf(deployment.config, name, env);
  const engine = hostServiceEngine(database.type);
  if (!engine.ok) throw new DomainError("conflict", `${engine.reason.replace(/\.$/, "")}: the service ${database.serviceId} does not run here, so there is nothing to dump.`);
  if (env.status === "inactive" || env.status === "deleting" || env.pausedAt) throw new DomainError("conflict", notRunning(env, database.serviceId));
  const credentials = await getEnvironmentServiceCredentials(db, env.id, database.serviceId, database.engine);
  if (!credentials) throw new DomainError("conflict", notRunning(env, database.serviceId));
  const socketPath = socketPathOf(access, env, database);
  if (!(await listening(socketPath))) throw new DomainError("conflict", notRunning(env, database.serviceId));

  // A dump holds a transaction open and a client's memory: at most two at a time per environment.
  const key = `${access.project.id}/${env.name}`;
  if ((dumpsRunning.get(key) ?? 0) >= MAX_DUMPS_PER_ENVIRONMENT) throw new DomainError("conflict", `${MAX_DUMPS_PER_ENVIRONMENT} downloads of ${env.title}'s databases are running: wait until one ends.`);
  dumpsRunning.set(key, (dumpsRunning.get(key) ?? 0) + 1);
  const release = () => {
    const left = (dumpsRunning.get(key) ?? 1) - 1;
    if (left <= 0) dumpsRunning.delete(key);
    else dumpsRunning.set(key, left);
  };
  const started = await startServiceDump({
    engine: database.engine,
    serverProgram: engine.programs.server ?? engine.programs.postgres ?? "",
    socketDir: path.dirname(socketPath),
    credentials,
    workDir: path.join(dataPaths.environmentServices(access.project.id, env.name), `.dump-${crypto.randomUUID()}`),
    timeoutMs: options.timeoutMs ?? DUMP_TIMEOUT_MS,
  });
  if (!started.ok) {
    release();
    throw new DomainError("conflict", started.message);
  }
  const { dump } = started;
  void dump.ended.finally(release);
  const client = DUMP_CLIENTS[database.engine];
  const where = `${access.project.id}/${env.name}/${name}`;
  const onAbort = () => dump.stop("its client went away");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  void dump.ended.then(() => options.signal?.removeEventListener("abort", onAbort));

  // Nothing is answered until the client wrote its first bytes: one that fails at once (the
  // service stopped meanwhile) gets its sentence, not an empty file.
  const first = await firstBytes(dump.output).catch(() => null);
  if (first === null) {
    const outcome = await dump.ended;
    if (!outcome.ok) throw new DatabaseDumpFailed(`The dump of ${name} failed: ${outcome.message}`);
  }

  let output: Readable = dump.output;
  if (options.gzip) {
    // Level 1: most of level 6's saving on SQL text for a fraction of the CPU the site shares.
    const gzip = zlib.createGzip({ level: 1, chunkSize: 64 * 1024 });
    stream.pipeline(dump.output, gzip, () => undefined);
    output = gzip;
  }
  const chunks = output[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const idleMs = options.idleMs ?? DUMP_IDLE_MS;
  let idle: NodeJS.Timeout | undefined;
  let finished = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        clearTimeout(idle);
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch {
          next = { done: true, value: undefined };
        }
        if (finished) return; // cancelled meanwhile
        if (!next.done) {
          controller.enqueue(next.value);
          // Pulled again only once the client took it: a client that takes nothing for idleMs is let go.
          idle = setTimeout(() => {
            finished = true;
            dump.stop(`its client took nothing for ${describeDuration(idleMs)}`);
            controller.error(new Error(`The dump of ${where} was stopped: its client took nothing for ${describeDuration(idleMs)}.`));
          }, idleMs);
          return;
        }
        const outcome = await dump.ended;
        if (finished) return;
        finished = true;
        if (outcome.ok) return controller.close();
        // The client sees the download fail (the answer ends without its last chunk), never a file that looks whole.
        console.error(`[database-download] ${where} (${client}): ${outcome.message}`);
        controller.error(new Error(outcome.message));
      },
      cancel() {
        finished = true;
        clearTimeout(idle);
        dump.stop("its client went away");
        void chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  const filename = `${access.project.id}-${env.name}-${name}-${fileTime(new Date())}.sql${options.gzip ? ".gz" : ""}`;
  return { body, filename, contentType: options.gzip ? "application/gzip" : "application/sql" };
}
