import "server-only";
import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import { getDatabase, type Db } from "@/db/client";
import { getAuthSecret } from "@/lib/auth/secret";
import { env } from "@/lib/env";
import { countUsers, createUser, getUserByEmail, upsertAdministrator } from "@/lib/users/create-user";
import { stampClientHeaders } from "./client-headers";
import { collectGarbageWhenIdle } from "./idle-memory";
import { CLIENT_ADDRESS_HEADER } from "@/lib/session/client-info";
import { startAdminSocket } from "./admin-socket";
import { protectDataDir } from "./protect-data-dir";
import { handleShutdownSignals } from "./shutdown";
import { reportEventLoopDelay } from "./event-loop-report";
import { markFirstStart, seedDemoIfPending } from "./demo";
import { startBackgroundWorker } from "@/lib/activities/background-worker";
import { startActivityWorker } from "@/lib/activity-runners";
import { startEnvironmentRouter } from "@/lib/runtime/router";
import { reviveEnvironments } from "@/lib/runtime/deploy";
import { onRuntimeStatusChange } from "@/lib/environments/runtime-status";
import { installPushHooks, sweepUnplacedRepositories } from "@/lib/git/repository";
import { cgroupsAvailable, cpuLimitAvailable } from "@/lib/runtime/hook-cgroup";
import { sweepHookProcesses } from "@/lib/runtime/run-hook";
import { sweepServiceLeftovers } from "@/lib/runtime/driver/local-services";
import { mariadbTemplate } from "@/lib/runtime/services/data-template";
import { sandboxSupport, unsandboxedWarning } from "@/lib/runtime/sandbox";
import { hookSeccomp } from "@/lib/runtime/seccomp";

/** How often the embedded database's planner statistics are gathered again. */
const ANALYZE_EVERY_MS = 6 * 60 * 60 * 1000;

/**
 * The embedded database has no autovacuum, so it never gathers the statistics the query planner
 * chooses by: without them a project with 20,000 activities had its activity stream joined and
 * sorted whole (187 ms a render; 4.9 ms after one ANALYZE). Gathered at start and every 6 hours
 * (PostgreSQL servers do it themselves).
 */
function analyzeEmbeddedDatabase(db: Db, log: (line: string) => void): void {
  const analyze = async () => {
    const started = Date.now();
    await db.execute(sql`ANALYZE`).catch((err: Error) => log(`[startup] Gathering the database's statistics failed: ${err.message}`));
    if (Date.now() - started > 1000) log(`[startup] Gathered the database's statistics in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  };
  void analyze();
  setInterval(() => void analyze(), ANALYZE_EVERY_MS).unref();
}

export interface StartupReport {
  migrationsApplied: number;
  firstStart: boolean;
  generatedAdmin?: { email: string; password: string };
  needsFirstAdministrator: boolean;
}

/**
 * Runs once per server process before it serves requests: keeps DATA_DIR to the server's
 * account, applies pending migrations, creates (or resets) the administrator from
 * ADMIN_EMAIL/ADMIN_PASSWORD, marks the first start (for the demo project) and makes sure the
 * session secret exists.
 */
export async function startInstance(log: (line: string) => void = console.log): Promise<StartupReport> {
  const config = env();
  // First: before anything (the database, secrets, sockets, the process runner) is made in DATA_DIR or started.
  protectDataDir(config.dataDir, (line) => log(`[startup] ${line}`));
  handleShutdownSignals(log);
  // PWI_REPORT_EVENT_LOOP=1 reports every 5 s; a number of milliseconds (≥ 100) sets the interval.
  const reportEvery = Number(process.env.PWI_REPORT_EVENT_LOOP ?? 0);
  if (reportEvery > 0) reportEventLoopDelay(log, reportEvery >= 100 ? reportEvery : 5000);
  collectGarbageWhenIdle();
  const database = await getDatabase();
  const migrationsApplied = await database.migrate();
  const db = database.db;
  if (!config.DATABASE_URL) analyzeEmbeddedDatabase(db, log);
  getAuthSecret(); // made now, on first start, before any request needs it
  const firstStart = await markFirstStart(db, config.SEED_DEMO);

  const report: StartupReport = { migrationsApplied, firstStart, needsFirstAdministrator: false };
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    const { user, created } = await upsertAdministrator(db, config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    if (created) await seedDemoIfPending(db, user);
    log(`[startup] Administrator ${config.ADMIN_EMAIL} ${created ? "created" : "password reset"} from ADMIN_EMAIL/ADMIN_PASSWORD.`);
  } else if (config.ADMIN_EMAIL) {
    if (!(await getUserByEmail(db, config.ADMIN_EMAIL))) {
      const password = crypto.randomBytes(12).toString("base64url");
      const user = await createUser(db, { name: config.ADMIN_EMAIL.split("@")[0] ?? "Administrator", email: config.ADMIN_EMAIL, password, isAdmin: true });
      await seedDemoIfPending(db, user);
      report.generatedAdmin = { email: config.ADMIN_EMAIL, password };
    }
  } else if (config.ADMIN_PASSWORD) {
    log("[startup] ADMIN_PASSWORD is set without ADMIN_EMAIL; ignoring it. Set both to create an administrator.");
  }
  report.needsFirstAdministrator = (await countUsers(db)) === 0;

  installPushHooks();
  // A project's repository is built beside the others and moved into place within a second; one
  // still there an hour later was left by a process that died while creating the project.
  const unplaced = sweepUnplacedRepositories(60 * 60 * 1000);
  if (unplaced > 0) log(`[startup] Removed ${unplaced} unfinished project repositor${unplaced === 1 ? "y" : "ies"} left by a server that stopped while creating a project.`);
  // Hooks a dead server left running are killed before anything else runs.
  const killed = sweepHookProcesses();
  if (killed > 0) log(`[startup] Stopped ${killed} hook(s) left running by a server that stopped unexpectedly.`);
  const leftovers = await sweepServiceLeftovers();
  if (leftovers > 0) log(`[startup] Removed ${leftovers} unfinished service cop${leftovers === 1 ? "y or dump" : "ies or dumps"} left by a server that stopped meanwhile.`);
  const sandbox = sandboxSupport();
  if (sandbox.ok) {
    const seccomp = await hookSeccomp();
    log(`[startup] Hooks run sandboxed by bubblewrap (${sandbox.bwrap}); ${cgroupsAvailable() ? `memory and processes limited per hook by a cgroup${cpuLimitAvailable() ? `, CPU to ${config.HOOK_CPUS} (HOOK_CPUS)` : ", CPU not limited (no cgroup with the cpu controller)"}` : "memory and processes limited per process (no writable cgroup)"}.`);
    if (!seccomp.ok) log(`[startup] ${config.HOOK_SANDBOX === "required" ? "HOOK_SANDBOX=required and hooks have no system-call filter: every hook will be refused" : "Warning: hooks run without their system-call filter (seccomp)"}: ${seccomp.reason}.`);
  }
  else if (config.HOOK_SANDBOX === "required") log(`[startup] HOOK_SANDBOX=required and ${sandbox.reason}: every hook will be refused until it is installed.`);
  else log(`[startup] ${unsandboxedWarning(sandbox.reason)}`);

  const url = `http://localhost:${config.PORT}`;
  log(`[startup] Database ${config.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite in ${config.dataDir}`}; ${migrationsApplied} migration(s) applied.`);
  if (report.generatedAdmin) {
    log(`[startup] Generated the first administrator. Sign in at ${url}/sign-in with`);
    log(`[startup]   email:    ${report.generatedAdmin.email}`);
    log(`[startup]   password: ${report.generatedAdmin.password}`);
  }
  if (report.needsFirstAdministrator) log(`[startup] No user yet: open ${url}/setup to create the first administrator.`);
  if (config.RUN_WORKER || !config.DATABASE_URL) {
    if (!config.RUN_WORKER) log("[startup] RUN_WORKER=0 needs DATABASE_URL (the embedded database allows no other process); running the worker here anyway.");
    startBackgroundWorker(database.workerDb, (d) => startActivityWorker(d, { crons: config.CRON_SCHEDULER, backups: config.SCHEDULED_BACKUPS }));
    log(`[startup] Activity worker running in this process.`);
  } else {
    // Environments' processes run beside their router: the activities that start or stop them run here.
    startBackgroundWorker(database.workerDb, (d) => startActivityWorker(d, { queues: "runtime", crons: config.CRON_SCHEDULER, backups: config.SCHEDULED_BACKUPS }));
    log("[startup] RUN_WORKER=0: activities run in separate `npm run worker` processes; deploys, Pause, Resume, Deactivate and Delete run here, beside the environment router.");
  }
  startAdminSocket(async () => (await getDatabase()).db, log);
  await startEnvironmentRouter(config.ENV_PORT, async () => (await getDatabase()).db, log, {
    front: config.ROUTER_FRONT,
    trustProxy: config.TRUST_PROXY,
    // What access rules match: the socket's address, or with TRUST_PROXY the one the proxy saw.
    clientAddress: (req) => {
      stampClientHeaders(req, config.TRUST_PROXY);
      return String(req.headers[CLIENT_ADDRESS_HEADER]);
    },
    consoleUrl: config.PUBLIC_URL,
    consolePort: config.PORT,
  });
  // Environments' applications run in this process (their router is here): their open pages hear each change of their processes' state.
  onRuntimeStatusChange(db);
  // What ran before a restart runs again.
  void reviveEnvironments(log, db)
    .then((n) => n > 0 && log(`[startup] Started ${n} environment${n === 1 ? "" : "s"}' applications again.`))
    // The MariaDB data template copies start from (made once per DATA_DIR and MariaDB version; a second of CPU).
    .then(() => mariadbTemplate());
  return report;
}
