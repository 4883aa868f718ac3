/**
 * Backup schedules in words, and their intervals, without the schemas (the browser's part of
 * backup-schedule.ts: no zod in the Settings page's JavaScript). Pure.
 */
export const BACKUP_UNITS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, M: 30 * 86_400_000, y: 365 * 86_400_000 } as const;
export type BackupUnit = keyof typeof BACKUP_UNITS;
const UNIT_WORDS: Record<BackupUnit, [string, string]> = { h: ["hour", "hours"], d: ["day", "days"], w: ["week", "weeks"], M: ["month", "months"], y: ["year", "years"] };

const INTERVAL = /^([1-9][0-9]{0,3})(h|d|w|M|y)$/;
/** The longest interval: a year. */
const MAX_INTERVAL_MS = BACKUP_UNITS.y;

export interface ScheduleEntry {
  interval: string;
  count: number;
}

export interface BackupSchedules {
  production: ScheduleEntry[];
  staging: ScheduleEntry[];
  development: ScheduleEntry[];
  /** Manual snapshots kept per environment (null: the plan's own). */
  manualCount: number | null;
}

/** An interval's length in ms, or null when it is not one. */
export function intervalMs(interval: string): number | null {
  const m = INTERVAL.exec(interval);
  if (!m) return null;
  const ms = Number(m[1]) * BACKUP_UNITS[m[2] as BackupUnit];
  return ms <= MAX_INTERVAL_MS ? ms : null;
}

export const scheduleText = (entries: readonly ScheduleEntry[]) => entries.map((e) => `${e.interval} ${e.count}`).join("\n");

/** "every hour, kept 24 hours; every day, kept 7 days", or "none". */
export function describeSchedule(entries: readonly ScheduleEntry[]): string {
  if (entries.length === 0) return "none";
  return entries
    .map((e) => {
      const m = INTERVAL.exec(e.interval)!;
      const n = Number(m[1]);
      const [one, many] = UNIT_WORDS[m[2] as BackupUnit];
      const every = n === 1 ? `every ${one}` : `every ${n} ${many}`;
      const span = n * e.count;
      return `${every}, kept ${span} ${span === 1 ? one : many}`;
    })
    .join("; ");
}
