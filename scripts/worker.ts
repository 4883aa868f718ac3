// `npm run worker`: a separate activity worker. Several may run, on several machines,
// against one PostgreSQL server (DATABASE_URL). With the embedded database the dashboard
// process runs the only worker, since PGlite allows one process at a time.
import { openDatabase, WORKER_POOL_SIZE } from "@/db/client";
import { startActivityWorker } from "@/lib/activity-runners";
import { onRuntimeStatusChange } from "@/lib/environments/runtime-status";
import { env } from "@/lib/env";
import { protectDataDir } from "@/lib/instance/protect-data-dir";
import { sweepHookProcesses } from "@/lib/runtime/run-hook";
import { sandboxSupport, unsandboxedWarning } from "@/lib/runtime/sandbox";

const { DATABASE_URL, dataDir } = env();
if (!DATABASE_URL) {
  console.error(
    "npm run worker needs DATABASE_URL: the embedded database belongs to the dashboard process, which already runs a worker. " +
      "Set DATABASE_URL (the same for the dashboard and every worker) to run workers separately.",
  );
  process.exit(1);
}
// Builds, deployments, environments' data and hook records of this machine: the worker's account's alone.
protectDataDir(dataDir, (line) => console.log(`[worker] ${line}`));
const database = await openDatabase({ databaseUrl: DATABASE_URL, poolSize: WORKER_POOL_SIZE });
await database.migrate();
const killed = sweepHookProcesses(); // hooks a dead process left on this machine
if (killed > 0) console.log(`[worker] Stopped ${killed} hook(s) left running by a process that stopped unexpectedly.`);
const sandbox = sandboxSupport();
if (!sandbox.ok) console.warn(`[worker] ${env().HOOK_SANDBOX === "required" ? `HOOK_SANDBOX=required and ${sandbox.reason}: hooks will be refused.` : unsandboxedWarning(sandbox.reason)}`);
// Environments' processes run where the environment router is: in the dashboard's process, which takes the
// activities that start or stop them. This worker takes the others, unless WORKER_HOSTS_ENVIRONMENTS=1 says
// it runs on the dashboard's machine (its DATA_DIR) and may host them too.
const worker = startActivityWorker(database.db, { queues: env().WORKER_HOSTS_ENVIRONMENTS ? "all" : "general", crons: env().CRON_SCHEDULER, backups: env().SCHEDULED_BACKUPS });
// A worker that hosts environments tells their projects' open pages when a process or service changes state, as the dashboard does.
if (env().WORKER_HOSTS_ENVIRONMENTS) onRuntimeStatusChange(database.db);
console.log(`[worker] ${worker.id} is running activities. Stop it with Ctrl-C.`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log("[worker] finishing running activities, then stopping…");
    void worker.stop().then(() => database.close()).then(() => process.exit(0));
  });
}
