import { describe, expect, it } from "vitest";
import { isTimeZone, nextRuns, parseCronSpec } from "./cron-spec";

describe("parseCronSpec", () => {
  it("reads five fields, names and @macros, in words", () => {
    expect(parseCronSpec("*/5 * * * *")).toEqual({ ok: true, expression: "*/5 * * * *", description: "every 5 minutes" });
    expect(parseCronSpec("17 3 * * mon-fri")).toMatchObject({ ok: true, expression: "17 3 * * 1-5", description: "at 03:17, Monday through Friday" });
    expect(parseCronSpec("@hourly")).toMatchObject({ ok: true, expression: "0 * * * *", description: "every hour" });
    expect(parseCronSpec("@daily")).toMatchObject({ ok: true, description: "at 00:00" });
    expect(parseCronSpec("0 0 1 jan *")).toMatchObject({ ok: true, expression: "0 0 1 1 *" });
  });

  it("chooses H from the cron's seed: the same for the same cron, spread across crons", () => {
    const a = parseCronSpec("H * * * *", "shop/staging/cronrun");
    expect(a).toEqual(parseCronSpec("H * * * *", "shop/staging/cronrun"));
    const minutes = new Set(Array.from({ length: 40 }, (_, i) => (parseCronSpec("H * * * *", `shop/env${i}/cronrun`) as { expression: string }).expression.split(" ")[0]));
    expect(minutes.size).toBeGreaterThan(10);
    const stepped = parseCronSpec("H/15 * * * *", "shop/staging/cronrun");
    expect(stepped.ok && stepped.expression).toMatch(/^(\d|1[0-4])-59\/15 /);
    const ranged = parseCronSpec("H(0-29) H(1-5) * * *", "x");
    expect(ranged.ok && Number(ranged.expression.split(" ")[0])).toBeLessThanOrEqual(29);
    expect(ranged.ok && Number(ranged.expression.split(" ")[1])).toBeGreaterThanOrEqual(1);
  });

  it("never lets H choose a day the month lacks, whichever cron or environment it is for", () => {
    // Checked at push with one seed, scheduled with another: every seed must run.
    const days = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const r = parseCronSpec("0 0 H 2 *", `shop/env${i}/c${i}`);
      expect(r.ok, `seed ${i}`).toBe(true);
      if (r.ok) days.add(Number(r.expression.split(" ")[2]));
    }
    expect(Math.max(...days)).toBeLessThanOrEqual(28);
    expect(days.size).toBeGreaterThan(20);
    for (const seed of ["", "a", "shop/main/j", "shop/main/l"]) {
      expect(parseCronSpec("0 0 H(1-31) 2 *", seed)).toEqual({ ok: false, error: "day of the month: H(1-31) may choose day 31, which February does not have: give a range they all have, such as H(1-29)" });
      expect(parseCronSpec("0 0 H(1-31) 2,3 *", seed)).toMatchObject({ ok: true }); // March has every day it may choose
    }
  });

  it("says what to change for a spec that is wrong", () => {
    const error = (spec: unknown) => {
      const r = parseCronSpec(spec);
      return r.ok ? null : r.error;
    };
    expect(error("0 */5 * * * *")).toBe("a spec has 5 fields (minute hour day-of-month month day-of-week); “0 */5 * * * *” has 6: seconds are not supported, remove the first field");
    expect(error("*/0 * * * *")).toBe("minute: a step must be at least 1 (“*/0”)");
    expect(error("60 * * * *")).toBe("minute: 60 is out of range (0–59)");
    expect(error("0 0 30 2 *")).toBe("it never runs: February has no day 30");
    expect(error("0 0 31 4,6 *")).toBe("it never runs: April, June have no day 31");
    expect(parseCronSpec("0 0 30 2 1")).toMatchObject({ ok: true }); // the day of the week widens it (cron's OR)
    expect(error("5-1 * * * *")).toBe("minute: the range “5-1” goes backwards");
    expect(error("* * * * mo")).toMatch(/^day of the week: “mo” is not a number or a name/);
    expect(error("@every5")).toMatch(/is not one of @yearly/);
    expect(error("*/5 * * *")).toMatch(/has 4$/);
    expect(error(42)).toMatch(/must be a string/);
    expect(error("* ".repeat(150))).toMatch(/at most 200 characters/);
    expect(error("1,,2 * * * *")).toMatch(/an empty item/);
    expect(error("*/99 * * * *")).toMatch(/longer than its range/);
  });
});

describe("time zones and next runs", () => {
  it("knows IANA zones, refuses others", () => {
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    for (const bad of ["Mars/Olympus_Mons", "", "Europe/Paris\n", 7, "x".repeat(100)]) expect(isTimeZone(bad)).toBe(false);
  });

  it("gives the next runs in the app's time zone", () => {
    const spec = parseCronSpec("30 2 * * *");
    if (!spec.ok) throw new Error(spec.error);
    const from = new Date("2026-12-06T12:00:00Z");
    expect(nextRuns(spec.expression, from, 1)[0]!.toISOString()).toBe("2026-12-07T02:30:00.000Z");
    expect(nextRuns(spec.expression, from, 1, "Europe/Paris")[0]!.toISOString()).toBe("2026-12-07T01:30:00.000Z");
    expect(nextRuns("*/5 * * * *", from, 3).map((d) => d.toISOString().slice(11, 16))).toEqual(["12:05", "12:10", "12:15"]);
  });
});

describe("cronViews", () => {
  it("lists each cron with its spec in words, its next time and its command", async () => {
    const { cronViews } = await import("./cron-view");
    const views = cronViews({ crons: { cronrun: { spec: "*/5 * * * *", cmd: "echo cron", shutdown_timeout: 10, timeout: 86_400 } }, timezone: undefined }, "shop/staging", new Date("2026-12-06T12:01:00Z"));
    expect(views).toEqual([{ name: "cronrun", spec: "*/5 * * * *", words: "every 5 minutes", next: "2026-12-06T12:05:00.000Z", command: "echo cron", timeout: 86_400 }]);
  });
});
