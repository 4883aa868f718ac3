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
      next: spec.ok ? (nextRuns(spec.expression, now, 1, app.timezone)[0]?.toISOString() ?? null) : null,
      command: cron.commands?.start ?? cron.cmd ?? "",
      timeout: cron.timeout,
    };
  });
}
