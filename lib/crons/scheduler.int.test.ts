// The cron scheduler: each due time of each cron of an active environment once, whatever how many
// schedulers run; a time while the previous run still runs or waits is skipped, with a record; a gap
// while no scheduler ran is recorded missed (one row, how many), never run late; paused crons and
// paused environments are not scheduled, and the time they were paused is not "missed".
import { and, asc, eq, inArray } from "drizzle-orm";
import { expect, it, vi } from "vitest";
import { activities, activityEnvironments, cronRuns, cronStates, deployments, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { latestDeployment } from "@/lib/environments/queries";
import { setCronsPaused } from "@/lib/environments/run-now";
import { starterProject, withoutTemplateServices, withWorker } from "@/lib/testing-fixtures";
import { cronAlertsOfProject, cronStatuses } from "./cron-status";
import { nextRuns } from "./cron-spec";
import { cronViews } from "./cron-view";
import { CronScheduler, LATE_GRACE_MS, pruneCronRuns, recordCronResult } from "./scheduler";

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
      { outcome: "missed", at: later[0]!.toISOString(), missedCount: 12, reason: expect.stringMatching(/^12 runs not run from \d{4}-\d\d-\d\d \d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d UTC: no scheduler was running then/) },
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

  it("records a pass's due crons of several projects together: each its run and activity, one skipped, one paused meanwhile left alone", async () => {
    const [a, b] = [await starterProject(db(), "batcha"), await starterProject(db(), "batchb")];
    await withWorker(db(), (worker) => worker.idle());
    const envs = await db().select().from(environments).where(inArray(environments.projectId, [a.id, b.id]));
    const env = (project: string, name: string) => envs.find((e) => e.projectId === project && e.name === name)!;
    const deployed = await Promise.all(envs.map((e) => latestDeployment(db(), e.id)));
    const [at] = nextRuns("*/5 * * * *", new Date(Math.max(...deployed.map((d) => d!.createdAt.getTime()))), 1);
    // b's staging: its previous run still waits.
    const [waiting] = await db()
      .insert(activities)
      .values({ projectId: b.id, environmentId: env(b.id, "staging").id, environmentName: "staging", type: "environment.cron", description: "Cron cronrun on staging", parameters: { cron: "cronrun", scheduledFor: new Date(at!.getTime() - 300_000).toISOString() } })
      .returning();
    let clock = new Date(at!.getTime() + 300);
    const scheduler = new CronScheduler(db(), () => clock);
    // a's staging: its crons are paused after the pass read the environments, before it records.
    const internals = scheduler as unknown as { candidates: () => Promise<unknown[]> };
    const read = internals.candidates.bind(scheduler);
    internals.candidates = async () => {
      const found = await read();
      await db().update(environments).set({ cronsPausedAt: new Date() }).where(eq(environments.id, env(a.id, "staging").id));
      return found;
    };
    await scheduler.tick();
    const ids = envs.map((e) => e.id);
    const runs = await db().select().from(cronRuns).where(inArray(cronRuns.environmentId, ids));
    const run = (e: { id: string }) => runs.filter((r) => r.environmentId === e.id).map((r) => ({ outcome: r.outcome, at: r.scheduledFor.getTime(), activityId: r.activityId }));
    const crons = await db().select().from(activities).where(and(inArray(activities.environmentId, ids), eq(activities.type, "environment.cron")));
    const started = (e: { id: string }) => crons.filter((c) => c.environmentId === e.id && c.id !== waiting!.id);
    for (const e of [env(a.id, "master"), env(b.id, "master")]) {
      const [activity] = started(e);
      expect(activity).toMatchObject({ state: "pending", parameters: { cron: "cronrun", scheduledFor: at!.toISOString() }, priority: 1 });
      expect(run(e)).toEqual([{ outcome: "started", at: at!.getTime(), activityId: activity!.id }]);
      expect(await db().select().from(activityEnvironments).where(eq(activityEnvironments.activityId, activity!.id))).toEqual([{ activityId: activity!.id, environmentId: e.id }]);
    }
    expect(run(env(a.id, "staging"))).toEqual([]);
    expect(started(env(a.id, "staging"))).toEqual([]);
    expect(run(env(b.id, "staging"))).toEqual([{ outcome: "skipped", at: at!.getTime(), activityId: waiting!.id }]);
    expect(started(env(b.id, "staging"))).toEqual([]);

    // One cron whose record fails (as a refused statement would) holds none of its batch: the
    // others are recorded alone; it is tried again a minute later, its time then recorded missed.
    await db().update(activities).set({ state: "complete", result: "success", completedAt: new Date() }).where(and(inArray(activities.environmentId, ids), eq(activities.type, "environment.cron")));
    const [next] = nextRuns("*/5 * * * *", at!, 1);
    clock = new Date(next!.getTime() + 300);
    const failing = `${env(a.id, "master").id}/cronrun`;
    const inner = scheduler as unknown as { record: (batch: { key: string }[]) => Promise<unknown> };
    const record = inner.record.bind(scheduler);
    let refused = 0;
    inner.record = async (batch) => {
      if (batch.some((d) => d.key === failing)) {
        refused++;
        throw new Error("refused");
      }
      return record(batch);
    };
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      await scheduler.tick();
      const attempts = refused;
      expect(attempts).toBeGreaterThanOrEqual(1);
      clock = new Date(next!.getTime() + 30_000);
      await scheduler.tick();
      expect(refused).toBe(attempts);
      expect(errors.mock.calls.some((c) => String(c[0]).includes("cronrun: its run at") && String(c[0]).includes("tried again in a minute"))).toBe(true);
    } finally {
      errors.mockRestore();
    }
    const after = await db().select().from(cronRuns).where(inArray(cronRuns.environmentId, ids));
    const at2 = (e: { id: string }) => after.filter((r) => r.environmentId === e.id && r.scheduledFor.getTime() === next!.getTime()).map((r) => r.outcome);
    expect([at2(env(b.id, "master")), at2(env(b.id, "staging")), at2(env(a.id, "master"))]).toEqual([["started"], ["started"], []]);
    inner.record = record;
    clock = new Date(next!.getTime() + 61_000);
    await scheduler.tick();
    const [missed] = (await db().select().from(cronRuns).where(eq(cronRuns.environmentId, env(a.id, "master").id))).filter((r) => r.scheduledFor.getTime() === next!.getTime());
    expect(missed).toMatchObject({ outcome: "missed", reason: expect.stringMatching(/^Not run at \d{4}-\d\d-\d\d \d\d:\d\d UTC/) });
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
    // The schedule's records are kept 30 days.
    const old = new Date(Date.now() - 31 * 86_400_000);
    await db().insert(cronRuns).values([
      { environmentId: staging!.id, cron: "cronrun", scheduledFor: old, outcome: "started", createdAt: old },
      { environmentId: staging!.id, cron: "cronrun", scheduledFor: new Date(), outcome: "started" },
    ]);
    expect(await pruneCronRuns(db())).toBeGreaterThanOrEqual(1);
    expect((await db().select().from(cronRuns).where(eq(cronRuns.environmentId, staging!.id))).map((r) => r.scheduledFor > old)).toEqual([true]);
  });

  it("goes on past a cron whose times cannot be computed, computes only what is due, bounds a long gap, and keeps hostile names apart", async () => {
    const { id } = await starterProject(db(), "schedbad");
    await withWorker(db(), (worker) => worker.idle());
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    const deployment = (await latestDeployment(db(), staging!.id))!;
    const [row] = await db().select().from(deployments).where(eq(deployments.id, deployment.id));
    const config = row!.config as { app: { crons: Record<string, unknown>; timezone?: string } };
    const cron = (spec: string) => ({ spec, cmd: "echo x", timeout: 86400, shutdown_timeout: 10 });
    // Lord Howe Island's half-hour clock change: cron-parser cannot compute `* 2 * 4 0` there (a pushed file may say so).
    const leap = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`leap${i}`, cron("59 23 29 2 *")]));
    config.app.crons = { "a-broken": cron("* 2 * 4 0"), constructor: cron("* * * * *"), ...leap };
    config.app.timezone = "Australia/Lord_Howe";
    // As a deploy would: a deployment of its own (rows are never changed: their checked configs are kept by id).
    const { id: _replaced, ...deployed } = row!;
    await db().insert(deployments).values({ ...deployed, config: config as Record<string, unknown>, createdAt: new Date(deployed.createdAt.getTime() + 1) });

    // 30 days without a scheduler: one missed record (bounded), the latest time run.
    const start = new Date(deployment.createdAt.getTime() + 30 * 86_400_000 + 10_000);
    const scheduler = new CronScheduler(db(), () => start);
    const t0 = performance.now();
    await scheduler.tick();
    const firstPass = performance.now() - t0;
    const rows = await db().select().from(cronRuns).where(eq(cronRuns.environmentId, staging!.id));
    const gap = rows.find((r) => r.cron === "constructor" && r.outcome === "missed")!;
    expect(gap.reason).toMatch(/^More than 1,00\d runs not run from \d{4}-\d\d-\d\d \d\d:\d\d to \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(rows.filter((r) => r.cron === "constructor" && r.outcome === "started")).toHaveLength(1);
    expect(firstPass).toBeLessThan(5_000);
    // The broken cron is said on its state, once; the others were scheduled.
    const states = await db().select().from(cronStates).where(eq(cronStates.environmentId, staging!.id));
    expect(states.find((s) => s.cron === "a-broken")?.missedReason).toMatch(/^Not scheduled: its times cannot be computed in Australia\/Lord_Howe \(.+\)\. Change its spec or the timezone and deploy\.$/);
    // The next passes compute nothing that is not due: 42 crons, a few milliseconds.
    const passes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await scheduler.tick();
      passes.push(Math.round(performance.now() - t));
    }
    console.log(`[crons] 42 crons (one broken, 40 on Feb 29 in Australia/Lord_Howe): first pass ${Math.round(firstPass)} ms after 30 days; then ${passes.join(", ")} ms`);
    expect(Math.max(...passes)).toBeLessThan(100);
    // A cron named "constructor" is a cron like any other: its status is its own, and Object is untouched.
    const statuses = await cronStatuses(db(), staging!.id);
    expect(Object.hasOwn(statuses, "constructor")).toBe(true);
    expect((statuses as Record<string, unknown>).constructor).not.toBe(Object);
    expect((Object as unknown as { current?: unknown }).current).toBeUndefined();
    // The page and the API still answer across Lord Howe's clock change: a next time after now, or none.
    for (let hour = 0; hour < 8; hour++) {
      const at = new Date(Date.UTC(2027, 3, 3, 0, 180 * hour));
      for (const view of cronViews({ crons: { "a-broken": cron("* 2 * 4 0"), hourly: cron("0 * * * *") }, timezone: "Australia/Lord_Howe" } as never, `${id}/staging`, at)) {
        expect(view.next === null || new Date(view.next) > at, `${view.name} at ${at.toISOString()}: ${view.next}`).toBe(true);
      }
    }
    // An alert of a cron the deployment no longer has is not shown.
    await db().insert(cronStates).values({ environmentId: staging!.id, cron: "gone", failuresInRow: 5 });
    const alerts = await cronAlertsOfProject(db(), id);
    expect(alerts.get(staging!.id)).not.toMatch(/gone/);
  }, 120_000);
});
