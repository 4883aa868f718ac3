import type { AppConfig } from "@/lib/config/parse-config";
import { nextRuns, parseCronSpec } from "./cron-spec";

/** One cron of a deployed configuration as the console shows it. Pure. */
export interface CronView {
  name: string;
  spec: string;
  /** "every 5 minutes", or why the spec cannot be read. */
  words: string;
  /** When it would run next (ISO), in UTC; null when its spec cannot be read. */
  next: string | null;
  command: string;
  timeout: number;
}

/** The crons of a deployed application, each with its spec in words and its next time after `now` (the app's `timezone`, else UTC). */
export function cronViews(app: Pick<AppConfig, "crons" | "timezone">, seed: string, now: Date): CronView[] {
  return Object.entries(app.crons).map(([name, cron]) => {
    const spec = parseCronSpec(cron.spec, `${seed}/${name}`);
    return {
      name,
      spec: cron.spec,
      words: spec.ok ? spec.description : spec.error,
      next: spec.ok ? nextTime(spec.expression, now, app.timezone) : null,
      command: cron.commands?.start ?? cron.cmd ?? "",
      timeout: cron.timeout,
    };
  });
}

/** Specs whose next time could not be computed lately, by spec and zone: until when they are not tried again. */
const failed = new Map<string, number>();
const RETRY_AFTER_MS = 10 * 60_000;

/**
 * Its next time (ISO), or null when it cannot be computed (cron-parser gives up after 10,000 steps,
 * about half a second, near some time zones' clock changes): a failure is not tried again for 10
 * minutes, so a pushed spec cannot make every render of the page cost that much.
 */
function nextTime(expression: string, now: Date, timezone: string | undefined): string | null {
  const key = `${expression}\u0000${timezone ?? ""}`;
  if ((failed.get(key) ?? 0) > Date.now()) return null;
  try {
    const [next] = nextRuns(expression, now, 1, timezone);
    return next && next > now ? next.toISOString() : null;
  } catch {
    if (failed.size > 1000) failed.clear();
    failed.set(key, Date.now() + RETRY_AFTER_MS);
    return null;
  }
}
