import { and, asc, eq, isNotNull } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments, projects, snapshots } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { dueTime } from "./backup-schedule";
import { BackupScheduler } from "./backup-scheduler";
import { backupStorage, setBackupSchedules } from "./backup-settings";
import { requestSnapshot } from "./snapshots";

withoutTemplateServices();
const H = 3_600_000;

describeEachDatabase("automated backups", ({ db }) => {
  it("takes each due backup once (two schedulers at once too), keeps what the schedule keeps and deletes the rest, each said in the log", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const viewer = await makeUser(db());
    const id = uniqueProjectId("auto");
    await createProject(db(), admin, { id, title: "Auto", plan: "starter", region: "us-3" });
    // Only staging: every hour, 2 kept (production none, so this test's clock drives one environment).
    await setBackupSchedules(db(), admin, id, { production: [], staging: [{ interval: "1h", count: 2 }], development: [], manualCount: 1 });
    await expect(setBackupSchedules(db(), viewer, id, { production: [], staging: [], development: [], manualCount: null })).rejects.toThrow();
    await expect(setBackupSchedules(db(), admin, id, { production: [{ interval: "0h", count: 1 }], staging: [], development: [], manualCount: null })).rejects.toMatchObject({ code: "invalid" });
    await expect(setBackupSchedules(db(), admin, id, { production: Array.from({ length: 10_000 }, () => ({ interval: "1h", count: 1 })), staging: [], development: [], manualCount: null })).rejects.toMatchObject({ code: "invalid" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      let clock = dueTime(H, Date.now()) + 1_000;
      const one = new BackupScheduler(db(), () => clock);
      const two = new BackupScheduler(db(), () => clock);
      const taken = await Promise.all([one.tick(), two.tick(), one.tick()]);
      expect(taken.reduce((a, b) => a + b, 0)).toBe(1);
      await worker.idle();
      const automated = async () =>
        (await db().select().from(snapshots).where(and(eq(snapshots.projectId, id), isNotNull(snapshots.scheduledFor))).orderBy(asc(snapshots.scheduledFor))).map((s) => ({ at: s.scheduledFor!.getTime(), state: s.state, env: s.environmentName }));
      expect(await automated()).toEqual([{ at: dueTime(H, clock), state: "complete", env: "staging" }]);
      // The same due time again: nothing. The next hours: one each; the third deletes the first.
      expect(await one.tick()).toBe(0);
      const first = dueTime(H, clock);
      for (const hours of [1, 2]) {
        clock = first + hours * H + 1_000;
        expect(await one.tick()).toBe(1);
        await worker.idle();
      }
      expect((await automated()).map((s) => s.at)).toEqual([first + H, first + 2 * H]);
      const [last] = await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.type, "environment.backup"))).orderBy(asc(activities.createdAt)).offset(2);
      expect(last).toMatchObject({ description: "Automated backup of staging (every hour, kept 2 hours)", createdBy: null, result: "success" });
      const log = (await getActivityLog(db(), last!.id)).map((l) => l.text).join("\n");
      expect(log).toContain(`Deleted the automated backup of ${new Date(first).toISOString().slice(0, 16).replace("T", " ")} UTC: the schedule (every hour, kept 2 hours) no longer keeps it.`);
      // Manual snapshots are counted apart (the project keeps 1): the automated ones do not take its place.
      const manual = await requestSnapshot(db(), admin, id, "staging", { consistency: "live", replaceOldest: false });
      await worker.idle();
      await expect(requestSnapshot(db(), admin, id, "staging", { consistency: "live", replaceOldest: false })).rejects.toThrow(/keeps 1 manual snapshots per environment/);
      expect(manual.snapshot.scheduledFor).toBeNull();
      // Storage: per environment and in all.
      const storage = await backupStorage(db(), id);
      expect(storage.environments).toEqual([{ name: "staging", bytes: expect.any(Number), count: 3, automated: 2 }]);
      // An inactive environment is not backed up.
      await db().update(environments).set({ status: "inactive" }).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
      clock = first + 3 * H + 1_000;
      expect(await one.tick()).toBe(0);
      // A stored schedule that does not match its schema is the defaults (production only).
      await db().update(projects).set({ backupSchedules: { production: "every hour" } }).where(eq(projects.id, id));
      expect(await new BackupScheduler(db(), () => clock).tick()).toBe(1); // master (production), by the defaults
      await worker.idle();
    } finally {
      await worker.stop();
    }
  });
});
