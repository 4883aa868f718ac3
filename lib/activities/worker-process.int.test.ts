import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase, type Database } from "@/db/client";
import { createPostgresTestDatabase } from "@/db/testing/databases";
import { activities } from "@/db/schema";
import { listActivities, listEnvironments } from "@/lib/environments/queries";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { createProject } from "@/lib/projects/create-project";
import { environmentDeployDir } from "@/lib/runtime/deploy";
import { makeUser } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { getActivityLog, recoverStaleActivities, STALE_AFTER_MS } from "./queue";
import { settleEnvironment } from "./worker";

const postgresUrl = inject("postgresUrl");

/** `npm run worker` as its own process group, so kill -9 takes it down at once. */
function spawnWorker(databaseUrl: string): ChildProcess {
  const child = spawn(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/worker.ts"], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: "ignore",
    detached: true,
  });
  return child;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!postgresUrl)("a separate worker process killed with SIGKILL [PostgreSQL]", () => {
  let database: Database;
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await createPostgresTestDatabase(postgresUrl!));
    database = await openDatabase({ databaseUrl: url, poolSize: 4 });
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it("leaves an activity that recovery fails with a log line, and the previous deployment serving", async () => {
    const db = database.db;
    const admin = await makeUser(db, { isAdmin: true });
    await createProject(db, admin, { id: "killed", title: "Killed", plan: "starter", region: "us-3" });
    let worker = spawnWorker(url);
    try {
      await until("the first deploys", async () => (await listActivities(db, "killed")).every((a) => a.state === "complete"));
      await requestEnvironmentAction(db, admin, "killed", "staging", { action: "branch", name: "victim", title: "", type: "development" });
      await until("the branch", async () => (await listActivities(db, "killed")).every((a) => a.state === "complete"));
      const before = (await listEnvironments(db, "killed")).find((e) => e.name === "victim")!;
      const yaml = fs.readFileSync(path.join(environmentDeployDir("killed", "staging"), "current", ".magento.app.yaml"), "utf8");
      await commitOn("killed", "staging", { ".magento.app.yaml": yaml.replace('set -e\n    echo "Building', 'set -e\n    echo "slow build starts"; sleep 30\n    echo "Building') }, "Slow build");
      const sync = await requestEnvironmentAction(db, admin, "killed", "victim", { action: "sync", code: true, data: false, rebase: false });
      await until("the build to start", async () => (await getActivityLog(db, sync.id)).some((l) => l.text === "slow build starts"));

      process.kill(-worker.pid!, "SIGKILL");
      const [orphan] = await db.select().from(activities).where(eq(activities.id, sync.id));
      expect(orphan).toMatchObject({ state: "in_progress" });

      // A minute later (its heartbeat is older than STALE_AFTER_MS), any worker's recovery fails it.
      const later = new Date(Date.now() + STALE_AFTER_MS + 15_000);
      expect(await recoverStaleActivities(db, later, (tx, a) => settleEnvironment(tx, a, "failure"))).toBe(1);
      const [failed] = await db.select().from(activities).where(eq(activities.id, sync.id));
      expect(failed).toMatchObject({ state: "complete", result: "failure" });
      expect((await getActivityLog(db, sync.id)).at(-1)!.text).toMatch(/^The worker running this activity \(.+\) stopped responding; the activity was marked failed\.$/);
      const victim = (await listEnvironments(db, "killed")).find((e) => e.name === "victim")!;
      expect(victim).toMatchObject({ status: "active", deployedCommit: before.deployedCommit });

      // A new worker process takes new work as usual.
      worker = spawnWorker(url);
      const redeploy = await requestEnvironmentAction(db, admin, "killed", "victim", { action: "redeploy" });
      await until("the redeploy", async () => (await db.select().from(activities).where(eq(activities.id, redeploy.id)))[0]?.state === "complete");
    } finally {
      try {
        process.kill(-worker.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  });
});
