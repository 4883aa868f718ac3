/**
 * A logical dump of a running service instance's database, streamed as the client writes it:
 * - MariaDB: `mariadb-dump --single-transaction --quick --routines --triggers --events --hex-blob
 *   --databases main` as root (one transaction's snapshot: InnoDB tables are read as of one
 *   moment and writers are not blocked; rows are sent as they are read, never held whole);
 * - PostgreSQL: `pg_dump -d main --no-owner --no-privileges` as postgres (one repeatable-read
 *   transaction; the file loads into any PostgreSQL as whichever user runs it).
 * The client runs in a sandbox like the copy's (service-copy.ts): bubblewrap as the sandbox user,
 * the seccomp filter, no network at all, nothing of the host but the system's read-only
 * directories, the instance's socket folder read-only at /run/services/source and its option file
 * (the administrator's password: never a command line or a variable) read-only at /run/pwi-conf;
 * a cgroup's memory and process limits (else rlimits) and a time limit. Its output is a pipe the
 * caller reads at its own pace: while nobody reads, the pipe fills and the client waits, so
 * nothing piles up in the server's memory whatever the database's size. `stop` kills everything
 * in the sandbox at once; so does the server's end (bubblewrap's --die-with-parent).
 */
import "server-only";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { env as appEnv } from "@/lib/env";
import { createHookCgroup } from "@/lib/runtime/hook-cgroup";
import { hookBaseEnv, sandboxSupport, type SandboxSpec } from "@/lib/runtime/sandbox";
import { hasPerl, sandboxedCommand } from "@/lib/runtime/sandbox-command";
import { hookSeccomp } from "@/lib/runtime/seccomp";
import { DATABASE_NAME, type ServiceCredentials } from "./service-config";
import { clientBinDir, COPY_SANDBOX, mariadbRootOptionFile, pgpassLine } from "./service-copy";

/** The engines that hold a database to dump. */
export type DumpEngine = "mariadb" | "postgresql";

/** Each engine's dump client, as messages name it. */
export const DUMP_CLIENTS: Record<DumpEngine, string> = { mariadb: "mariadb-dump", postgresql: "pg_dump" };

const MIB = 1024 * 1024;
/** The client's memory (its cgroup's; without one, its address space, which a client reserves far beyond its use). */
const DUMP_MEMORY_BYTES = 512 * MIB;
const DUMP_ADDRESS_SPACE_BYTES = 2048 * MIB;
/** Processes and threads of the sandbox (bubblewrap's, the client's). */
const DUMP_MAX_PROCESSES = 32;
/** Of its stderr, what is kept to say why it failed. */
const STDERR_KEPT_BYTES = 16 * 1024;
/** The option file's name in /run/pwi-conf. */
const OPTION_FILES: Record<DumpEngine, string> = { mariadb: "dump.cnf", postgresql: "pgpass" };

export interface ServiceDumpRequest {
  engine: DumpEngine;
  /** The engine's server program (the clients of its version are found beside it, or in /usr/bin). */
  serverProgram: string;
  /** The running instance's socket folder on the host. */
  socketDir: string;
  credentials: ServiceCredentials;
  /** A folder that does not exist yet, made for the client's option file and removed when the dump ends. */
  workDir: string;
  /** The dump is stopped after this long, whatever it is doing. */
  timeoutMs: number;
}

export type DumpOutcome = { ok: true } | { ok: false; message: string };

export interface ServiceDump {
  /** The dump as the client writes it: read it at your own pace (the client waits meanwhile). */
  output: Readable;
  /** How it ended, once the client and everything in its sandbox are gone and its folder is removed. */
  ended: Promise<DumpOutcome>;
  /** Kills the client and its sandbox now (a second call does nothing). */
  stop(reason: string): void;
  /** The sandbox's outer process (tests look for it in /proc). */
  pid: number;
}

/** The client's command line, inside the sandbox. */
function dumpCommand(engine: DumpEngine, bin: string): string[] {
  if (engine === "mariadb") {
    return [`${bin}/mariadb-dump`, `--defaults-file=${COPY_SANDBOX.conf}/${OPTION_FILES.mariadb}`, "--single-transaction", "--quick", "--routines", "--triggers", "--events", "--hex-blob", "--databases", DATABASE_NAME];
  }
  return [`${bin}/pg_dump`, "--no-password", "-h", COPY_SANDBOX.source, "-U", "postgres", "-d", DATABASE_NAME, "--no-owner", "--no-privileges"];
}

/** The client's option file: the administrator's password, and for MariaDB where the socket is. */
function optionFile(engine: DumpEngine, credentials: ServiceCredentials): string {
  return engine === "mariadb" ? mariadbRootOptionFile(credentials, COPY_SANDBOX.source) : pgpassLine("postgres", credentials.adminPassword);
}

/** "4 h", "10 min", "1.5 s". */
export function describeDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

/** Printable text of a client's stderr (no control characters but newlines), its first lines. */
function describeStderr(stderr: Buffer): string {
  const lines = stderr
    .toString("utf8")
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(0, 3).join(" ").slice(0, 600);
}

/**
 * Starts a dump of the instance behind `request.socketDir`, or says in a sentence why it cannot
 * (no sandbox here; HOOK_SANDBOX=required and no seccomp filter).
 */
export async function startServiceDump(request: ServiceDumpRequest): Promise<{ ok: true; dump: ServiceDump } | { ok: false; message: string }> {
  const { engine } = request;
  const client = DUMP_CLIENTS[engine];
  const sandbox = sandboxSupport();
  if (!sandbox.ok) return { ok: false, message: `${client} runs only in the sandbox, and ${sandbox.reason}.` };
  const seccomp = hasPerl() ? await hookSeccomp() : null;
  if (!seccomp?.ok && appEnv().HOOK_SANDBOX === "required") {
    return { ok: false, message: `${client} was not run: HOOK_SANDBOX=required and ${seccomp ? seccomp.reason : "perl is not installed (it hands bubblewrap the seccomp filter)"}.` };
  }

  fs.mkdirSync(path.dirname(request.workDir), { recursive: true, mode: 0o700 });
  fs.mkdirSync(request.workDir, { mode: 0o700 });
  const removeWorkDir = () => fs.promises.rm(request.workDir, { recursive: true, force: true }).catch(() => undefined);
  let cgroup: Awaited<ReturnType<typeof createHookCgroup>> = null;
  try {
    fs.writeFileSync(path.join(request.workDir, OPTION_FILES[engine]), optionFile(engine, request.credentials), { mode: 0o600, flag: "wx" });
    const limits = { memoryBytes: DUMP_MEMORY_BYTES, maxProcesses: DUMP_MAX_PROCESSES, cpus: 1 };
    cgroup = hasPerl() ? await createHookCgroup(limits) : null;
    const box: SandboxSpec = {
      appDir: request.workDir,
      appWritable: false,
      binds: [],
      roBinds: [
        { source: request.workDir, dest: COPY_SANDBOX.conf },
        { source: request.socketDir, dest: COPY_SANDBOX.source },
      ],
      network: false,
    };
    const command = sandboxedCommand({
      inner: dumpCommand(engine, clientBinDir(engine, request.serverProgram)),
      env: { ...hookBaseEnv("/app"), ...(engine === "postgresql" ? { PGPASSFILE: `${COPY_SANDBOX.conf}/${OPTION_FILES.postgresql}` } : {}) },
      sandboxed: { bwrap: sandbox.bwrap, seccomp: seccomp?.ok ? seccomp.file : null },
      sandbox: box,
      limits: cgroup ? limits : { ...limits, memoryBytes: DUMP_ADDRESS_SPACE_BYTES },
      cgroup,
      // The client writes no file: its output is the pipe.
      fileSizeBytes: MIB,
    });
    // detached: a process group of its own, killed whole. (Its stdout is a pipe the caller reads.)
    const child = spawn(command.file, command.args, { cwd: request.workDir, env: command.env as unknown as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("spawn", () => resolve(child.pid!));
      child.once("error", reject);
    });
    const owned = cgroup;
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    child.stderr.on("data", (b: Buffer) => {
      if (stderrBytes < STDERR_KEPT_BYTES) stderr.push(b);
      stderrBytes += b.length;
    });
    let stopped: string | null = null;
    let timedOut = false;
    const killAll = () => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
      owned?.kill();
    };
    const stop = (reason: string) => {
      if (stopped !== null) return;
      stopped = reason;
      killAll();
      // Nobody will read what is left: let the pipe close, so the client's end is seen.
      child.stdout.destroy();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop(`it ran longer than its limit of ${describeDuration(request.timeoutMs)}`);
    }, request.timeoutMs);
    const ended = new Promise<DumpOutcome>((resolve) => {
      child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        killAll(); // whatever the client left behind
        const events = owned?.events();
        void (async () => {
          await owned?.remove();
          await removeWorkDir();
          if (events && events.oomKills > 0) return resolve({ ok: false, message: `${client} ran out of memory (its limit is ${DUMP_MEMORY_BYTES / MIB} MiB) and was stopped.` });
          if (timedOut) return resolve({ ok: false, message: `${client} ran longer than its limit of ${describeDuration(request.timeoutMs)} and was stopped.` });
          if (stopped !== null) return resolve({ ok: false, message: `${client} was stopped: ${stopped}.` });
          if (code === 0) return resolve({ ok: true });
          const said = describeStderr(Buffer.concat(stderr));
          resolve({ ok: false, message: `${client} failed (${signal ? `killed by ${signal}` : `exit code ${code}`})${said ? `: ${said}` : "."}` });
        })();
      });
    });
    return { ok: true, dump: { output: child.stdout, ended, stop, pid } };
  } catch (e) {
    await cgroup?.remove();
    await removeWorkDir();
    throw e;
  }
}
