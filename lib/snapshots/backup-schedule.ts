/**
 * Automated backups' schedules, as the platform writes them: per environment type a list of
 * `{ interval, count }` (units h, d, w, M, y), e.g. 24 × 1h then 7 × 1d. The smallest interval is
 * how often a backup is taken (at whole multiples of it since 1970, UTC); each entry keeps the
 * newest automated backup in each of its last `count` intervals, and an automated backup no entry
 * keeps is deleted. Pure (the browser shows the words, the server decides).
 */
import { z } from "zod";
import { intervalMs, type BackupSchedules, type ScheduleEntry } from "./schedule-words";

export { BACKUP_UNITS, describeSchedule, intervalMs, scheduleText, type BackupSchedules, type BackupUnit, type ScheduleEntry } from "./schedule-words";

/** At most this many entries per environment type. */
export const MAX_SCHEDULE_ENTRIES = 10;
/** At most this many backups kept by one entry. */
export const MAX_SCHEDULE_COUNT = 100;
/** Manual snapshots kept per environment: at most this many may be asked for. */
export const MAX_MANUAL_BACKUPS = 50;

/** Adobe's Pro defaults: Production hourly kept 24 hours, then daily kept 7 days; none elsewhere. */
export const DEFAULT_BACKUP_SCHEDULES: BackupSchedules = {
  production: [
    { interval: "1h", count: 24 },
    { interval: "1d", count: 7 },
  ],
  staging: [],
  development: [],
  manualCount: null,
};

export const scheduleEntrySchema = z
  .object({
    interval: z.string().max(8).refine((v) => intervalMs(v) !== null, { message: "An interval is a whole number and a unit, from 1h to 1y: 1h, 6h, 1d, 1w, 1M (30 days), 1y." }),
    count: z.number().int({ message: "A count is a whole number." }).min(1, { message: "Keep at least 1." }).max(MAX_SCHEDULE_COUNT, { message: `Keep at most ${MAX_SCHEDULE_COUNT} per entry.` }),
  })
  .strict();

export const backupSchedulesSchema = z
  .object({
    production: z.array(scheduleEntrySchema).max(MAX_SCHEDULE_ENTRIES, { message: `At most ${MAX_SCHEDULE_ENTRIES} entries per environment type.` }),
    staging: z.array(scheduleEntrySchema).max(MAX_SCHEDULE_ENTRIES, { message: `At most ${MAX_SCHEDULE_ENTRIES} entries per environment type.` }),
    development: z.array(scheduleEntrySchema).max(MAX_SCHEDULE_ENTRIES, { message: `At most ${MAX_SCHEDULE_ENTRIES} entries per environment type.` }),
    manualCount: z.number().int().min(0).max(MAX_MANUAL_BACKUPS).nullable(),
  })
  .strict();

/**
 * One environment type's schedule from its text, a line per entry (`1h 24`: every hour, keep
 * 24); blank lines are skipped. Errors name the line and say what to write.
 */
export function parseScheduleText(text: string): { ok: true; entries: ScheduleEntry[] } | { ok: false; error: string } {
  if (text.length > 2_000) return { ok: false, error: `Write at most ${MAX_SCHEDULE_ENTRIES} lines such as “1h 24”.` };
  const entries: ScheduleEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    const at = `Line ${i + 1} (“${line.slice(0, 40)}”)`;
    if (!m) return { ok: false, error: `${at}: write an interval and how many to keep, such as “1h 24” or “1d 7”.` };
    const entry = { interval: m[1]!, count: /^-?[0-9]+$/.test(m[2]!) ? Number(m[2]) : Number.NaN };
    if (Number.isNaN(entry.count)) return { ok: false, error: `${at}: how many to keep is a whole number, such as 24.` };
    const checked = scheduleEntrySchema.safeParse(entry);
    if (!checked.success) return { ok: false, error: `${at}: ${checked.error.issues[0]!.message}` };
    entries.push(checked.data);
    if (entries.length > MAX_SCHEDULE_ENTRIES) return { ok: false, error: `At most ${MAX_SCHEDULE_ENTRIES} entries per environment type.` };
  }
  return { ok: true, entries };
}

/** How often backups are taken (the smallest interval), or null for no schedule. */
export function backupFrequencyMs(entries: readonly ScheduleEntry[]): number | null {
  const all = entries.map((e) => intervalMs(e.interval)).filter((ms): ms is number => ms !== null);
  return all.length ? Math.min(...all) : null;
}

/** The newest due time at or before `now` (whole multiples of the frequency since 1970, UTC). */
export function dueTime(frequencyMs: number, now: number): number {
  return Math.floor(now / frequencyMs) * frequencyMs;
}

/** How long an automated backup may be kept at most (the longest entry's span, and one interval more). */
export function longestKeepMs(entries: readonly ScheduleEntry[]): number {
  return Math.max(0, ...entries.map((e) => (intervalMs(e.interval) ?? 0) * (e.count + 1)));
}

/**
 * Which automated backups the schedule keeps at `now`: for each entry, the newest backup in each
 * of its last `count` intervals (the current one included). Everything else may be deleted.
 */
export function backupsToKeep(entries: readonly ScheduleEntry[], backups: readonly { id: string; at: number }[], now: number): Set<string> {
  const keep = new Set<string>();
  const newestFirst = [...backups].sort((a, b) => b.at - a.at);
  for (const e of entries) {
    const ms = intervalMs(e.interval);
    if (ms === null) continue;
    const current = dueTime(ms, now);
    for (let k = 0; k < e.count; k++) {
      const from = current - k * ms;
      const until = from + ms;
      const newest = newestFirst.find((b) => b.at >= from && b.at < until);
      if (newest) keep.add(newest.id);
    }
  }
  return keep;
}
