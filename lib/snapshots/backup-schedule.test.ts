import { describe, expect, it } from "vitest";
import { backupFrequencyMs, backupsToKeep, backupSchedulesSchema, DEFAULT_BACKUP_SCHEDULES, describeSchedule, dueTime, parseScheduleText } from "./backup-schedule";

const H = 3_600_000;
const D = 24 * H;

describe("backup schedules", () => {
  it("reads a line per entry and says each bad one with its line and what to write", () => {
    expect(parseScheduleText("1h 24\n\n 1d 7 ")).toEqual({ ok: true, entries: [{ interval: "1h", count: 24 }, { interval: "1d", count: 7 }] });
    expect(parseScheduleText("")).toEqual({ ok: true, entries: [] });
    const bad = (text: string) => {
      const r = parseScheduleText(text);
      return r.ok ? null : r.error;
    };
    expect(bad("0h 5")).toMatch(/^Line 1 \(“0h 5”\): An interval is a whole number and a unit, from 1h to 1y/);
    expect(bad("-1d 5")).toMatch(/^Line 1 .*An interval/);
    expect(bad("1d -1")).toMatch(/Keep at least 1\./);
    expect(bad("1d 101")).toMatch(/Keep at most 100 per entry\./);
    expect(bad("1d 1.5")).toMatch(/whole number/);
    expect(bad("2y 1")).toMatch(/An interval/);
    expect(bad("1x 1")).toMatch(/An interval/);
    expect(bad("1h")).toMatch(/write an interval and how many to keep/);
    expect(bad(Array.from({ length: 11 }, () => "1h 1").join("\n"))).toMatch(/At most 10 entries/);
    expect(bad("1h 1\n".repeat(10_000))).toMatch(/at most 10 lines/);
    expect(backupSchedulesSchema.safeParse({ ...DEFAULT_BACKUP_SCHEDULES, staging: Array.from({ length: 10_000 }, () => ({ interval: "1h", count: 1 })) }).success).toBe(false);
    expect(backupSchedulesSchema.safeParse({ ...DEFAULT_BACKUP_SCHEDULES, manualCount: 10_000 }).success).toBe(false);
  });

  it("says a schedule in words, and takes backups at the smallest interval", () => {
    expect(describeSchedule(DEFAULT_BACKUP_SCHEDULES.production)).toBe("every hour, kept 24 hours; every day, kept 7 days");
    expect(describeSchedule([{ interval: "6h", count: 4 }])).toBe("every 6 hours, kept 24 hours");
    expect(describeSchedule([])).toBe("none");
    expect(backupFrequencyMs(DEFAULT_BACKUP_SCHEDULES.production)).toBe(H);
    expect(backupFrequencyMs([])).toBeNull();
    expect(dueTime(H, 5 * H + 123)).toBe(5 * H);
  });

  it("keeps the newest backup of each of an entry's last intervals and nothing else", () => {
    const now = 100 * D + 30 * 60_000; // day 100, 00:30
    // Hourly backups for the last 9 days.
    const backups = Array.from({ length: 9 * 24 }, (_, i) => ({ id: `b${i}`, at: dueTime(H, now) - i * H }));
    const keep = backupsToKeep(DEFAULT_BACKUP_SCHEDULES.production, backups, now);
    // 24 hourly (b0..b23), and one per day for 7 days (the newest of each day: b0, then each day's 23:00).
    const hourly = backups.slice(0, 24).map((b) => b.id);
    for (const id of hourly) expect(keep.has(id)).toBe(true);
    const daily = [1, 2, 3, 4, 5, 6].map((k) => backups.find((b) => b.at === 100 * D - (k - 1) * D - H)!.id);
    for (const id of daily) expect(keep.has(id)).toBe(true);
    expect(keep.size).toBe(24 + 5); // (the day before's newest is also an hourly one)
    expect(keep.has(backups.at(-1)!.id)).toBe(false);
    expect(backupsToKeep([], backups, now).size).toBe(0);
  });
});
