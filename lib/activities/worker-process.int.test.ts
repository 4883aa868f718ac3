import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase, type Database } from "@/db/client";
import { createPostgresTestDatabase } from "@/db/testing/databases";
import { activities, snapshots } from "@/db/schema";
import { listActivities, listEnvironments } from "@/lib/environments/queries";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { createProject } from "@/lib/projects/create-project";
import { environmentDeployDir } from "@/lib/runtime/deploy";
import { makeUser } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { currentDataPath, directoryBytes, volumesRoot } from "@/lib/runtime/volumes";
import { requestRestore, requestSnapshot, snapshotDir, snapshotTempDir } from "@/lib/snapshots/snapshots";
import { getActivityLog, recoverStaleActivities, STALE_AFTER_MS } from "./queue";
import { abandonActivity, settleActivityEnvironment } from "@/lib/activity-runners";

const postgresUrl = inject("postgresUrl");

const spawned = new Set<ChildProcess>();

/** `npm run worker` as its own process group, so kill -9 takes it down at once. */
function spawnWorker(databaseUrl: string): ChildProcess {
  const child = spawn(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/worker.ts"], {
    env: { ...process.env, DATABASE_URL: databaseUrl, WORKER_HOSTS_ENVIRONMENTS: "1", SCHEDULED_BACKUPS: "0" },
    stdio: "ignore",
    detached: true,
  });
  spawned.add(child);
  return child;
}

// Whatever happens to a test (a timeout skips its finally), no worker outlives the file.
afterAll(() => {
  for (const child of spawned) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

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
      expect(await recoverStaleActivities(db, later, (tx, a) => settleActivityEnvironment(tx, a, "failure"))).toBe(1);
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
  it("kill -9 mid-snapshot lists no complete snapshot and leaves no partial archive; kill -9 mid-restore leaves the data wholly old or wholly new", async () => {
    const db = database.db;
    const admin = await makeUser(db, { isAdmin: true });
    await createProject(db, admin, { id: "killsnap", title: "Kill snapshots", plan: "starter", region: "us-3" });
    let worker = spawnWorker(url);
    const data = () => fs.realpathSync(currentDataPath("killsnap", "staging"));
    const fingerprint = () => {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
          const full = path.join(d, e.name);
          if (e.isDirectory()) walk(full);
          else out.push(`${path.relative(data(), full)} ${crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex")}`);
        }
      };
      walk(data());
      return out.join("\n");
    };
    try {
      await until("the first deploys", async () => (await listActivities(db, "killsnap")).every((a) => a.state === "complete"));
      for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(data(), "services", "mysql", `table-${i}.ibd`), crypto.randomBytes(48 * 1024 * 1024));

      // Killed while archiving: after recovery the snapshot is failed and its partial archive gone.
      const first = await requestSnapshot(db, admin, "killsnap", "staging", { consistency: "consistent", replaceOldest: false });
      const partial = snapshotTempDir("killsnap", first.snapshot.id);
      await until("the archive to be half written", async () => (fs.statSync(path.join(partial, "data.tar"), { throwIfNoEntry: false })?.size ?? 0) > 16 * 1024 * 1024, 60_000);
      process.kill(-worker.pid!, "SIGKILL");
      const later = new Date(Date.now() + STALE_AFTER_MS + 15_000);
      expect(
        await recoverStaleActivities(db, later, async (tx, a) => {
          await settleActivityEnvironment(tx, a, "failure");
          await abandonActivity(tx, a);
        }),
      ).toBe(1);
      expect((await db.select().from(snapshots).where(eq(snapshots.id, first.snapshot.id)))[0]!.state).toBe("failed");
      expect(fs.existsSync(partial)).toBe(false);
      expect(fs.existsSync(snapshotDir("killsnap", first.snapshot.id))).toBe(false);

      // A complete snapshot, then different data, then a restore killed while unpacking.
      worker = spawnWorker(url);
      const second = await requestSnapshot(db, admin, "killsnap", "staging", { consistency: "consistent", replaceOldest: false });
      await until("the snapshot", async () => (await db.select().from(snapshots).where(eq(snapshots.id, second.snapshot.id)))[0]?.state === "complete", 60_000);
      const snapshotted = fingerprint();
      fs.writeFileSync(path.join(data(), "services", "mysql", "table-0.ibd"), "changed after the snapshot");
      const old = fingerprint();
      await requestRestore(db, admin, "killsnap", second.snapshot.id, "staging");
      const root = volumesRoot("killsnap", "staging");
      await until("the new data to be half unpacked", async () => {
        const fresh = fs.readdirSync(root).filter((e) => e.startsWith("gen-") && path.join(root, e) !== data());
        return fresh.length > 0 && (await directoryBytes(path.join(root, fresh[0]!))) > 0;
      }, 60_000);
      process.kill(-worker.pid!, "SIGKILL");
      expect(
        await recoverStaleActivities(db, new Date(Date.now() + STALE_AFTER_MS + 15_000), async (tx, a) => {
          await settleActivityEnvironment(tx, a, "failure");
          await abandonActivity(tx, a);
        }),
      ).toBe(1);
      // Wholly old (killed while unpacking: that place was never switched in) or wholly the
      // snapshot's (killed after the switch, while redeploying); never a mix.
      expect([old, snapshotted]).toContain(fingerprint());
      expect(fs.readdirSync(root).filter((e) => e.startsWith("gen-"))).toHaveLength(1); // and it is gone
    } finally {
      try {
        process.kill(-worker.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }, 180_000);
});
