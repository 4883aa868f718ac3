import "server-only";
import path from "node:path";
import { dataPaths, removeTree } from "@/lib/paths";
import { AppLogFile, type AppLogFileOptions, type AppLogWriter } from "./log-file";
import { appLogFileName, checkAppLogName, isTimestampedLog, type AppLogName } from "./log-names";

export type { AppLogWriter, AppLogFileOptions };

/** A log name, project id or environment name that cannot name a log file. */
export class AppLogNameError extends Error {}

interface Shared {
  file: AppLogFile;
  users: number;
  projectId: string;
  environmentName: string;
}

const key = Symbol.for("pwi.app-log-writers");
type G = typeof globalThis & { [key]?: Map<string, Shared> };

/** This process's open log files, by path (one registry even if bundling loads this module twice). */
function writers(): Map<string, Shared> {
  const g = globalThis as G;
  return (g[key] ??= new Map());
}

/** A project id or an environment name as they reach paths: one plain path component. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The file of log `name` of an environment; throws AppLogNameError for anything that is not a log. */
export function appLogPath(projectId: string, environmentName: string, name: string): string {
  const check = checkAppLogName(name);
  if (!check.ok) throw new AppLogNameError(check.error);
  if (!SEGMENT.test(projectId) || !SEGMENT.test(environmentName) || environmentName.includes("..")) throw new AppLogNameError(`"${projectId}/${environmentName}" is not a project id and environment name.`);
  return path.join(dataPaths.environmentLogs(projectId, environmentName), appLogFileName(check.name));
}

/**
 * The writer of an environment's log `name` (access, error, app, worker-<name>, deploy,
 * post-deploy). Every caller in this process shares one file writer (the router and the process
 * supervisor write the same file through it): each gets its own handle, and the file is closed
 * once every handle is. Access lines are written as given; every other log's lines get the time
 * first (see log-line.ts). `options` apply when this call opens the file (tests make the cap small).
 * Throws AppLogNameError for a name that is not a log's.
 */
export function openAppLog(projectId: string, environmentName: string, name: AppLogName | string, options: AppLogFileOptions = {}): AppLogWriter {
  const file = appLogPath(projectId, environmentName, name);
  const all = writers();
  let shared = all.get(file);
  if (!shared || shared.file.closed) {
    shared = { file: new AppLogFile(file, { timestamps: isTimestampedLog(name as AppLogName), ...options }), users: 0, projectId, environmentName };
    all.set(file, shared);
  }
  const own = shared;
  own.users++;
  let released = false;
  return {
    file,
    line: (text, stream) => {
      if (!released) own.file.line(text, stream);
    },
    flush: () => own.file.flush(),
    async close() {
      if (released) return;
      released = true;
      if (--own.users > 0) return own.file.flush();
      if (all.get(file) === own) all.delete(file);
      await own.file.close();
    },
  };
}

function environmentWriters(projectId: string, environmentName: string): Shared[] {
  return [...writers().values()].filter((s) => s.projectId === projectId && s.environmentName === environmentName);
}

/** Flushes and closes every log writer of an environment in this process (it stopped); its handles write nothing more. */
export async function closeEnvironmentLogs(projectId: string, environmentName: string): Promise<void> {
  const all = writers();
  await Promise.all(
    environmentWriters(projectId, environmentName).map(async (s) => {
      all.delete(s.file.file);
      await s.file.close();
    }),
  );
}

/** Deletes an environment's logs: its writers in this process stop (what waits is not written), then its folder goes, links inside it never followed. */
export async function deleteEnvironmentLogs(projectId: string, environmentName: string): Promise<void> {
  appLogPath(projectId, environmentName, "app"); // the names are checked before a folder is removed
  const all = writers();
  await Promise.all(
    environmentWriters(projectId, environmentName).map(async (s) => {
      all.delete(s.file.file);
      await s.file.discard();
    }),
  );
  await removeTree(dataPaths.environmentLogs(projectId, environmentName));
}

/** How many log files this process holds open (for tests). */
export function openAppLogCount(): number {
  return writers().size;
}
