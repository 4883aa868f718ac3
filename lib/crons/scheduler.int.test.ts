// The cron scheduler: each due time of each cron of an active environment once, whatever how many
// schedulers run; a time while the previous run still runs or waits is skipped, with a record; a gap
// while no scheduler ran is recorded missed (one row, how many), never run late; paused crons and
// paused environments are not scheduled, and the time they were paused is not "missed".
import { and, asc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, cronRuns, cronStates, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { latestDeployment } from "@/lib/environments/queries";
import { setCronsPaused } from "@/lib/environments/run-now";
import { starterProject, withoutTemplateServices, withWorker } from "@/lib/testing-fixtures";
import { nextRuns } from "./cron-spec";
import { CronScheduler, LATE_GRACE_MS, recordCronResult } from "./scheduler";

withoutTemplateServices();

describeEachDatabase("the cron scheduler", ({ db }) => {
  it("starts each due time once across schedulers, skips while a run waits, records a gap as missed, and leaves paused crons alone", async () => {
    const { admin, id } = await starterProject(db(), "sched");
    await withWorker(db(), (worker) => worker.idle()); // staging deployed, then no worker: what is enqueued stays pending
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    const deployment = (await latestDeployment(db(), staging!.id))!;
    // The template's cron: every 5 minutes.
    const [first, second] = nextRuns("*/5 * * * *", deployment.createdAt, 2);
    let clock = new Date(first!.getTime() + 300);
    const now = () => clock;
    const a = new CronScheduler(db(), now);
    const b = new CronScheduler(db(), now);
    const crons = () => db().select().from(activities).where(and(eq(activities.environmentId, staging!.id), eq(activities.type, "environment.cron"))).orderBy(asc(activities.createdAt));
    const runs = () => db().select().from(cronRuns).where(eq(cronRuns.environmentId, staging!.id)).orderBy(asc(cronRuns.scheduledFor));
    // Other projects' environments are scheduled by the same pass: only this one's are counted here.
    const mine = async () => (await runs()).map((r) => ({ outcome: r.outcome, at: r.scheduledFor.toISOString(), missedCount: r.missedCount, reason: r.reason }));

    // Before its first time: nothing, and the next pass is due when it is.
    const early = await new CronScheduler(db(), () => new Date(first!.getTime() - 400)).tick();
    expect(early.nextInMs).toBeLessThanOrEqual(405);
    expect(await crons()).toHaveLength(0);

    // Two schedulers at once at its time: one activity.
    await Promise.all([a.tick(), b.tick()]);
    const started = await crons();
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ state: "pending", createdBy: null, description: "Cron cronrun on staging", parameters: { cron: "cronrun", scheduledFor: first!.toISOString() } });
    expect(await mine()).toEqual([{ outcome: "started", at: first!.toISOString(), missedCount: 1, reason: null }]);
    // Again at the same time: nothing more.
    await a.tick();
    await new CronScheduler(db(), now).tick(); // a scheduler that just started reads where the cron stood
    expect(await crons()).toHaveLength(1);

    // Its next time while the first still waits (no worker): skipped, with which.
    clock = new Date(second!.getTime() + 200);
    expect((await b.tick()).skipped).toBeGreaterThanOrEqual(1);
    expect(await crons()).toHaveLength(1);
    const skipped = (await mine())[1]!;
    expect(skipped).toMatchObject({ outcome: "skipped", at: second!.toISOString() });
    expect(skipped.reason).toMatch(/^Skipped at \d\d:\d\d UTC: the run from \d\d:\d\d UTC was still waiting for the environment\.$/);
    const [state] = await db().select().from(cronStates).where(eq(cronStates.environmentId, staging!.id));
    expect(state).toMatchObject({ cron: "cronrun", missedAt: second, missedReason: skipped.reason });

    // The first run ends (as a worker would record it): the next time starts one again.
    await db().update(activities).set({ state: "complete", result: "success", completedAt: new Date() }).where(eq(activities.id, started[0]!.id));
    // No scheduler for an hour and a little: 12 times passed; the last is within the grace period and runs, the 11 before are one missed record.
    const later = nextRuns("*/5 * * * *", second!, 13);
    clock = new Date(later[12]!.getTime() + LATE_GRACE_MS / 2);
    const restarted = new CronScheduler(db(), now);
    const pass = await restarted.tick();
    expect(pass).toMatchObject({ started: expect.any(Number), missed: expect.any(Number) });
    const afterGap = (await mine()).slice(2);
    expect(afterGap).toEqual([
      { outcome: "missed", at: later[0]!.toISOString(), missedCount: 12, reason: expect.stringMatching(/^12 runs not run from \d\d:\d\d to \d\d:\d\d UTC: no scheduler was running then/) },
      { outcome: "started", at: later[12]!.toISOString(), missedCount: 1, reason: null },
    ]);
    expect(await crons()).toHaveLength(2);
    const [missedRow] = (await runs()).filter((r) => r.outcome === "missed");
    expect(missedRow!.lastScheduledFor).toEqual(later[11]);

    // Pause crons: nothing starts; Resume crons: the paused times are not missed, the next one runs.
    await db().update(activities).set({ state: "complete", result: "success", completedAt: new Date() }).where(eq(activities.type, "environment.cron"));
    await setCronsPaused(db(), admin, id, "staging", true);
    await expect(setCronsPaused(db(), admin, id, "staging", true)).rejects.toThrow("Staging's crons are already paused.");
    const whilePaused = nextRuns("*/5 * * * *", later[12]!, 30);
    clock = new Date(whilePaused[29]!.getTime() + 100);
    await restarted.tick();
    expect(await crons()).toHaveLength(2);
    await setCronsPaused(db(), admin, id, "staging", false);
    // (cronsSince is the real time of the resume: the clock here runs ahead of it, so set it to the paused clock's.)
    await db().update(environments).set({ cronsSince: clock }).where(eq(environments.id, staging!.id));
    const [afterResume] = nextRuns("*/5 * * * *", clock, 1);
    clock = new Date(afterResume!.getTime() + 100);
    await restarted.tick();
    expect((await mine()).slice(4).map((r) => r.outcome)).toEqual(["started"]);
    expect(await crons()).toHaveLength(3);
    const kinds = await db().select({ type: activities.type, state: activities.state }).from(activities).where(and(eq(activities.projectId, id), eq(activities.type, "environment.crons.pause")));
    expect(kinds).toEqual([{ type: "environment.crons.pause", state: "complete" }]);
  }, 120_000);

  it("counts failures in a row until one succeeds, which also clears a miss; a cancel does not count", async () => {
    const { id } = await starterProject(db(), "cronstate");
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    const state = async () => (await db().select().from(cronStates).where(eq(cronStates.environmentId, staging!.id)))[0]!;
    const run = { activityId: null, startedAt: new Date(Date.now() - 1500) };
    await recordCronResult(db(), staging!.id, "cronrun", { ...run, ok: false, cancelled: false });
    await recordCronResult(db(), staging!.id, "cronrun", { ...run, ok: false, cancelled: false });
    await recordCronResult(db(), staging!.id, "cronrun", { ...run, ok: false, cancelled: true });
    await db().update(cronStates).set({ missedAt: new Date(), missedReason: "Skipped." }).where(eq(cronStates.environmentId, staging!.id));
    expect(await state()).toMatchObject({ lastResult: "failure", failuresInRow: 2, missedReason: "Skipped." });
    expect((await state()).lastDurationMs).toBeGreaterThanOrEqual(1500);
    await recordCronResult(db(), staging!.id, "cronrun", { ...run, ok: true, cancelled: false });
    expect(await state()).toMatchObject({ lastResult: "success", failuresInRow: 0, missedAt: null, missedReason: null });
  });
});
