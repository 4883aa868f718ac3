import "server-only";
import crypto from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { selectRows, type Db } from "@/db/client";
import { activities, cronRuns, cronStates, type EnvironmentType } from "@/db/schema";
import { enqueueActivities, lockProjects } from "@/lib/activities/queue";
import { notifyWorkers } from "@/lib/activities/wake";
import { environmentActivityKinds } from "@/lib/environments/activity-kinds";
import { latestDeployment } from "@/lib/environments/queries";
import { CronExpressionParser } from "cron-parser";
import { isTimeZone, parseCronSpec } from "./cron-spec";

/** A time due longer ago than this (the scheduler was not running then) is recorded missed, not run late. */
export const LATE_GRACE_MS = 60_000;
/**
 * The scheduler looks for new deployments, pauses and resumes at least this often, and at every
 * minute boundary: a cron's times (five fields, minute resolution, in any time zone) all fall on
 * one, so a deployment or a Resume committed before a boundary is seen by that boundary's pass
 * (one committed in the few milliseconds after it starts its first run at the next pass, at most
 * POLL_MS late, well within LATE_GRACE_MS). A pass reads every scheduled environment: with a
 * hundred, one a second was most of the scheduler's work while nothing was due.
 */
const POLL_MS = 10_000;
const MINUTE_MS = 60_000;
/** At most this many due times are counted in one missed record (a cron every minute, a server down for a week): past it, "more than". */
const MAX_COUNTED = 1_000;

interface Candidate {
  environmentId: string;
  projectId: string;
  name: string;
  type: EnvironmentType;
  deploymentId: string;
  /** The deployment's time, or when its crons last became runnable again, whichever is later. */
  since: Date;
}

interface PlannedCron {
  name: string;
  expression: string;
  timezone: string | undefined;
}

/**
 * The times `cron` was due after `after` up to `until`: how many (`atLeast` past MAX_COUNTED), the
 * first and the last two (all a record needs), and the next one after `until`. Past MAX_COUNTED it
 * jumps to just before the grace period, so a long gap costs a bounded amount of work. A time that
 * does not move forward (cron-parser near some time zones' clock changes) is an error.
 */
function dueBetween(cron: PlannedCron, after: Date, until: Date): { due: Date[]; counted: number; atLeast: boolean; next: Date } {
  const tz = cron.timezone && isTimeZone(cron.timezone) ? cron.timezone : "UTC";
  let it = CronExpressionParser.parse(cron.expression, { currentDate: after, tz });
  const due: Date[] = [];
  let counted = 0;
  let atLeast = false;
  let at = after;
  for (;;) {
    const next = it.next().toDate();
    if (!(next > at)) throw new Error(`its next time after ${at.toISOString()} went backwards (${next.toISOString()})`);
    at = next;
    if (next > until) return { due, counted, atLeast, next };
    counted++;
    if (due.length === 3) due.splice(1, 1);
    due.push(next);
    if (counted === MAX_COUNTED && !atLeast) {
      atLeast = true;
      const skipTo = new Date(until.getTime() - 2 * LATE_GRACE_MS);
      if (skipTo > next) {
        it = CronExpressionParser.parse(cron.expression, { currentDate: skipTo, tz });
        at = skipTo;
      }
    }
  }
}

/** "2026-12-06 12:05". */
const when = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");
const hhmm = (d: Date) => d.toISOString().slice(11, 16);

export interface SchedulerTick {
  started: number;
  skipped: number;
  missed: number;
  /** How long until the next due time (at most the polling period). */
  nextInMs: number;
}

/**
 * Starts the crons of active environments on their schedule, as `environment.cron` activities.
 * Durable: each due time is a row of cron_runs under a unique key, written in the transaction
 * that enqueues its activity, so several schedulers (several workers, several machines) never
 * start one time twice, and a restart finds where each cron stood. A time that passed while no
 * scheduler ran is recorded missed (one row per gap, with how many) and not run late; a time
 * due while the cron's previous run still runs or waits is recorded skipped, with which. Paused
 * environments and paused crons are not scheduled; when they come back, only times after that
 * count.
 */
export class CronScheduler {
  private readonly plans = new Map<string, PlannedCron[]>();
  /** The last due time handled per environment and cron. */
  private readonly handled = new Map<string, Date>();
  /** Per environment and cron: its next due time, computed once from where it stood (and from what), so a pass only computes what is due. */
  private readonly nextDue = new Map<string, { from: number; next: Date }>();
  /** Crons of a deployment whose times cannot be computed (said once, then left alone until another deployment). */
  private readonly broken = new Set<string>();
  /** Deployments whose crons could not be read (said once). */
  private readonly unreadable = new Set<string>();
  /** Per environment and cron whose record failed: when it is tried again. */
  private readonly retryAt = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async candidates(): Promise<Candidate[]> {
    const rows = await selectRows<{ environment_id: string; project_id: string; name: string; type: EnvironmentType; deployment_id: string; since: Date | string }>(
      this.db,
      sql`select e.id as environment_id, e.project_id, e.name, e.type, d.id as deployment_id,
                 greatest(d.created_at, coalesce(e.crons_since, d.created_at)) as since
          from environments e
          join lateral (select id, created_at from deployments where environment_id = e.id order by created_at desc limit 1) d on true
          where e.status in ('active', 'dirty') and e.paused_at is null and e.crons_paused_at is null
          order by e.id`,
    );
    return rows.map((r) => ({ environmentId: r.environment_id, projectId: r.project_id, name: r.name, type: r.type, deploymentId: r.deployment_id, since: new Date(r.since) }));
  }

  private async plan(c: Candidate): Promise<PlannedCron[]> {
    const known = this.plans.get(c.deploymentId);
    if (known) return known;
    const deployment = await latestDeployment(this.db, c.environmentId);
    const app = deployment?.id === c.deploymentId ? deployment.config.app : null;
    const planned: PlannedCron[] = [];
    for (const [name, cron] of Object.entries(app?.crons ?? {})) {
      const spec = parseCronSpec(cron.spec, `${c.projectId}/${c.name}/${name}`);
      if (spec.ok) planned.push({ name, expression: spec.expression, timezone: app?.timezone });
      else await this.notScheduled(c, name, `Not scheduled: its spec cannot be read here (${spec.error}). Change it and deploy.`);
    }
    if (deployment?.id === c.deploymentId) this.plans.set(c.deploymentId, planned);
    return planned;
  }

  /** Says on the cron's state, and in the server's log, why it is not scheduled (once per deployment: it is left alone until another). */
  private async notScheduled(c: Candidate, cron: string, reason: string): Promise<void> {
    console.error(`[crons] ${c.projectId}/${c.name} ${cron}: ${reason}`);
    const at = this.now();
    await this.db
      .insert(cronStates)
      .values({ environmentId: c.environmentId, cron, missedAt: at, missedReason: reason })
      .onConflictDoUpdate({ target: [cronStates.environmentId, cronStates.cron], set: { missedAt: at, missedReason: reason } })
      .catch(() => undefined);
  }

  /** Where the cron stood: its last recorded time, or when it became runnable. */
  private async lastHandled(c: Candidate, cron: string): Promise<Date> {
    const key = `${c.environmentId}/${cron}`;
    let last = this.handled.get(key);
    if (!last) {
      // The newest row by its (unique, indexed) time; rows never overlap, so its end is where the cron stood.
      const [row] = await selectRows<{ last: Date | string | null }>(
        this.db,
        sql`select coalesce(last_scheduled_for, scheduled_for) as last from cron_runs where environment_id = ${c.environmentId} and cron = ${cron} order by scheduled_for desc limit 1`,
      );
      last = row?.last ? new Date(row.last) : new Date(0);
    }
    return last > c.since ? last : c.since;
  }

  /** One pass: every due time of every scheduled cron is started, skipped or recorded missed. */
  async tick(): Promise<SchedulerTick> {
    const now = this.now();
    const result: SchedulerTick = { started: 0, skipped: 0, missed: 0, nextInMs: POLL_MS };
    const candidates = await this.candidates();
    const live = new Set(candidates.map((c) => c.deploymentId));
    for (const id of this.plans.keys()) if (!live.has(id)) this.plans.delete(id);
    const due: DueCron[] = [];
    // What no candidate has any more (a deployment replaced, an environment paused or gone) is forgotten.
    const liveEnvironments = new Set(candidates.map((c) => c.environmentId));
    for (const map of [this.handled, this.nextDue, this.retryAt]) for (const key of map.keys()) if (!liveEnvironments.has(key.split("/")[0]!)) map.delete(key);
    for (const key of this.broken) if (!live.has(key.split("/")[0]!)) this.broken.delete(key);
    for (const id of this.unreadable) if (!live.has(id)) this.unreadable.delete(id);
    for (const c of candidates) {
      let planned: PlannedCron[];
      try {
        planned = await this.plan(c);
      } catch (err) {
        // One environment's deployment that cannot be read holds no other's crons (it is tried again at the next pass).
        if (!this.unreadable.has(c.deploymentId)) console.error(`[crons] ${c.projectId}/${c.name}: its deployment's crons could not be read:`, err);
        this.unreadable.add(c.deploymentId);
        continue;
      }
      for (const cron of planned) {
        const key = `${c.environmentId}/${cron.name}`;
        if (this.broken.has(`${c.deploymentId}/${cron.name}`) || (this.retryAt.get(key) ?? 0) > now.getTime()) continue;
        try {
          const last = await this.lastHandled(c, cron.name);
          // Nothing due yet: its next time is known, nothing is computed.
          const known = this.nextDue.get(key);
          if (known && known.from === last.getTime() && known.next > now) {
            this.handled.set(key, last);
            result.nextInMs = Math.min(result.nextInMs, known.next.getTime() - now.getTime());
            continue;
          }
          const times = dueBetween(cron, last, now);
          result.nextInMs = Math.min(result.nextInMs, Math.max(0, times.next.getTime() - now.getTime()));
          if (times.counted === 0) {
            this.handled.set(key, last);
            this.nextDue.set(key, { from: last.getTime(), next: times.next });
            continue;
          }
          const latest = times.due[times.due.length - 1]!;
          const runLatest = now.getTime() - latest.getTime() <= LATE_GRACE_MS;
          const missedCount = runLatest ? times.counted - 1 : times.counted;
          due.push({
            c,
            cron,
            key,
            handledTo: latest,
            next: times.next,
            first: times.due[0]!,
            lastMissed: runLatest ? times.due[times.due.length - 2] : latest,
            missedCount,
            atLeast: times.atLeast,
            latest: runLatest ? latest : null,
          });
        } catch (err) {
          // Said once on the cron, then left alone until another deployment: the other crons go on.
          this.broken.add(`${c.deploymentId}/${cron.name}`);
          await this.notScheduled(c, cron.name, `Not scheduled: its times cannot be computed in ${cron.timezone ?? "UTC"} (${err instanceof Error ? err.message : String(err)}). Change its spec or the timezone and deploy.`);
        }
      }
      // The event loop turns between environments: a pass over thousands of crons never holds it.
      await new Promise((r) => setImmediate(r));
    }
    // The due crons are recorded a batch at a time, each batch one short transaction of a few
    // statements whatever its size (a hundred crons due in one minute are not a thousand
    // statements); the event loop turns between batches.
    for (let i = 0; i < due.length; i += RECORD_BATCH) {
      const batch = due.slice(i, i + RECORD_BATCH);
      let started = 0;
      try {
        started += this.recorded(batch, await this.record(batch), result);
      } catch (err) {
        // One cron whose record fails never holds the others of its batch (other projects'):
        // each is recorded alone, and one that still fails is tried again a minute later (the
        // times it could not start are then recorded missed).
        for (const d of batch) {
          try {
            started += this.recorded([d], await this.record([d]), result);
          } catch (alone) {
            this.retryAt.set(d.key, now.getTime() + RETRY_AFTER_MS);
            console.error(`[crons] ${d.c.projectId}/${d.c.name} ${d.cron.name}: its run at ${(d.latest ?? d.first).toISOString()} could not be recorded; tried again in a minute:`, batch.length > 1 ? alone : err);
          }
        }
      }
      if (started > 0) notifyWorkers();
      await new Promise((r) => setImmediate(r));
    }
    return result;
  }

  /** Counts a recorded batch in the pass's result and remembers where its crons stand; returns how many runs it started. */
  private recorded(batch: DueCron[], outcome: { started: number; skipped: number }, result: SchedulerTick): number {
    result.started += outcome.started;
    result.skipped += outcome.skipped;
    for (const d of batch) {
      if (d.missedCount > 0) result.missed++;
      this.handled.set(d.key, d.handledTo);
      this.nextDue.set(d.key, { from: d.handledTo.getTime(), next: d.next });
      this.retryAt.delete(d.key);
    }
    return outcome.started;
  }

  /**
   * Records a batch of due crons in one transaction: under their projects' locks (as Pause
   * crons, Pause and deploys take them, so a pause that came first is never overtaken), each
   * environment is checked again, its gap recorded missed, its due time started, or skipped when
   * the previous run still runs or waits.
   */
  private async record(batch: DueCron[]): Promise<{ started: number; skipped: number }> {
    return this.db.transaction(async (tx) => {
      await lockProjects(tx, batch.map((d) => d.c.projectId));
      const wanted = [...new Map(batch.map((d) => [d.c.environmentId, { environment_id: d.c.environmentId, deployment_id: d.c.deploymentId }])).values()];
      const stillRows = await selectRows<{ id: string; ok: boolean }>(
        tx,
        sql`select e.id, (e.status in ('active', 'dirty') and e.paused_at is null and e.crons_paused_at is null
                    and (select id from deployments where environment_id = e.id order by created_at desc limit 1) = w.deployment_id) as ok
            from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as w(environment_id text, deployment_id text)
            join environments e on e.id = w.environment_id`,
      );
      const still = new Set(stillRows.filter((r) => r.ok).map((r) => r.id));
      const live = batch.filter((d) => still.has(d.c.environmentId));
      for (const d of live) {
        if (d.missedCount === 0) continue;
        const why = "no scheduler was running then (the server was stopped or could not keep up).";
        const reason =
          d.missedCount === 1
            ? `Not run at ${when(d.first)} UTC: ${why}`
            : `${d.atLeast ? `More than ${d.missedCount.toLocaleString("en-US")}` : d.missedCount} runs not run from ${when(d.first)} to ${when(d.lastMissed!)} UTC: ${why}`;
        const inserted = await tx
          .insert(cronRuns)
          .values({ environmentId: d.c.environmentId, cron: d.cron.name, scheduledFor: d.first, lastScheduledFor: d.missedCount > 1 ? d.lastMissed : null, outcome: "missed", missedCount: d.missedCount, reason })
          .onConflictDoNothing()
          .returning({ id: cronRuns.id });
        if (inserted.length > 0) await markMissed(tx, d.c.environmentId, d.cron.name, d.lastMissed ?? d.first, reason);
      }
      const toRun = live.filter((d): d is DueCron & { latest: Date } => d.latest !== null);
      if (toRun.length === 0) return { started: 0, skipped: 0 };
      // Another scheduler that took a time first keeps it (its row is there): those are left out.
      const runIds = new Map(toRun.map((d) => [d.key, crypto.randomUUID()]));
      const taken = await tx
        .insert(cronRuns)
        .values(toRun.map((d) => ({ id: runIds.get(d.key)!, environmentId: d.c.environmentId, cron: d.cron.name, scheduledFor: d.latest, outcome: "started" as const })))
        .onConflictDoNothing()
        .returning({ id: cronRuns.id });
      const ours = new Set(taken.map((r) => r.id));
      const mine = toRun.filter((d) => ours.has(runIds.get(d.key)!));
      if (mine.length === 0) return { started: 0, skipped: 0 };
      const waiting = await tx
        .select({ id: activities.id, state: activities.state, createdAt: activities.createdAt, environmentId: activities.environmentId, cron: sql<string>`${activities.parameters}->>'cron'` })
        .from(activities)
        .where(and(inArray(activities.environmentId, [...new Set(mine.map((d) => d.c.environmentId))]), eq(activities.type, "environment.cron"), inArray(activities.state, ["pending", "in_progress"])));
      const previous = new Map(waiting.map((a) => [`${a.environmentId}/${a.cron}`, a]));
      let skipped = 0;
      const starting: (DueCron & { latest: Date })[] = [];
      for (const d of mine) {
        const prev = previous.get(d.key);
        if (!prev) {
          starting.push(d);
          continue;
        }
        const reason = `Skipped at ${hhmm(d.latest)} UTC: the run from ${hhmm(prev.createdAt)} UTC was still ${prev.state === "in_progress" ? "running" : "waiting for the environment"}.`;
        await tx.update(cronRuns).set({ outcome: "skipped", reason, activityId: prev.id }).where(eq(cronRuns.id, runIds.get(d.key)!));
        await markMissed(tx, d.c.environmentId, d.cron.name, d.latest, reason);
        skipped++;
      }
      const started = await enqueueActivities(
        environmentActivityKinds,
        tx,
        starting.map((d) => ({
          projectId: d.c.projectId,
          createdBy: null,
          environmentId: d.c.environmentId,
          environmentName: d.c.name,
          occupies: [d.c.environmentId],
          isProduction: d.c.type === "production",
          type: "environment.cron" as const,
          description: `Cron ${d.cron.name} on ${d.c.name}`,
          parameters: { cron: d.cron.name, scheduledFor: d.latest.toISOString() },
        })),
      );
      if (started.length > 0) {
        const links = started.map((a, i) => [runIds.get(starting[i]!.key)!, a.id]);
        await tx.execute(sql`update cron_runs set activity_id = l.value->>1 from jsonb_array_elements(${JSON.stringify(links)}::jsonb) as l where cron_runs.id = l.value->>0`);
      }
      return { started: started.length, skipped };
    });
  }
}

/** A cron with times due, found by a pass and recorded with others in a batch. */
interface DueCron {
  c: Candidate;
  cron: PlannedCron;
  /** `${environmentId}/${cron}`. */
  key: string;
  /** The last due time this record accounts for. */
  handledTo: Date;
  /** Its next due time after the pass. */
  next: Date;
  first: Date;
  lastMissed: Date | undefined;
  missedCount: number;
  atLeast: boolean;
  /** The time to run now, or null when even the latest is past the grace period (all missed). */
  latest: Date | null;
}

/** How long a cron whose record failed waits before it is tried again. */
const RETRY_AFTER_MS = 60_000;

/**
 * How many due crons one transaction records at most: its time holds the embedded database's
 * other callers (a page's statements wait for it). With 50, a hundred crons due at one minute
 * boundary held `/api/health` 40–80 ms; a batch's statements are as many whatever its size.
 */
const RECORD_BATCH = 20;

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

async function markMissed(tx: Tx, environmentId: string, cron: string, at: Date, reason: string) {
  await tx
    .insert(cronStates)
    .values({ environmentId, cron, missedAt: at, missedReason: reason })
    .onConflictDoUpdate({ target: [cronStates.environmentId, cronStates.cron], set: { missedAt: at, missedReason: reason } });
}

/**
 * A run of a cron ended (scheduled or Run now): its state says so. A success clears the count of
 * failures and any miss; a cancel leaves the count as it was.
 */
export async function recordCronResult(db: Db, environmentId: string, cron: string, run: { activityId: string | null; startedAt: Date; ok: boolean; cancelled: boolean }): Promise<void> {
  const durationMs = Date.now() - run.startedAt.getTime();
  const result = run.ok ? "success" : "failure";
  const failures = run.ok ? sql`0` : run.cancelled ? sql`${cronStates.failuresInRow}` : sql`${cronStates.failuresInRow} + 1`;
  await db
    .insert(cronStates)
    .values({ environmentId, cron, lastActivityId: run.activityId, lastResult: result, lastStartedAt: run.startedAt, lastDurationMs: durationMs, failuresInRow: run.ok || run.cancelled ? 0 : 1 })
    .onConflictDoUpdate({
      target: [cronStates.environmentId, cronStates.cron],
      set: {
        lastActivityId: run.activityId,
        lastResult: result,
        lastStartedAt: run.startedAt,
        lastDurationMs: durationMs,
        failuresInRow: failures,
        ...(run.ok ? { missedAt: null, missedReason: null } : {}),
      },
    });
}

/**
 * Runs the scheduler until stopped: a pass at each due time and minute boundary, and at least every POLL_MS.
 * `speed` (for the benchmark alone): its clock runs that many times faster than the real one from
 * the start, so a cron every minute is due every second; its waits shrink as much.
 */
export function startCronScheduler(db: Db, options: { speed?: number } = {}): { stop(): Promise<void> } {
  const speed = options.speed ?? 1;
  const startedAt = Date.now();
  const now = speed === 1 ? () => new Date() : () => new Date(startedAt + (Date.now() - startedAt) * speed);
  const scheduler = new CronScheduler(db, now);
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopped) {
      let delay = POLL_MS;
      try {
        delay = (await scheduler.tick()).nextInMs;
      } catch (err) {
        if (!stopped) console.error("[crons] the scheduler's pass failed:", err);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        // Just past the due time, or the next minute boundary: cron-parser's next time is strictly after "now".
        const toBoundary = MINUTE_MS - (now().getTime() % MINUTE_MS);
        timer = setTimeout(resolve, Math.min(POLL_MS, delay / speed + 2, toBoundary / speed + 2));
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}

/** How long the schedule's records are kept. */
export const CRON_RUNS_KEPT_DAYS = 30;

/** Deletes the schedule's records older than CRON_RUNS_KEPT_DAYS (upkeep); returns how many. */
export async function pruneCronRuns(db: Db, now = new Date()): Promise<number> {
  const deleted = await db
    .delete(cronRuns)
    .where(sql`${cronRuns.createdAt} < ${new Date(now.getTime() - CRON_RUNS_KEPT_DAYS * 86_400_000).toISOString()}::timestamptz`)
    .returning({ id: cronRuns.id });
  return deleted.length;
}
