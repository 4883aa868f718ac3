import Link from "next/link";
import { cronAlert, type CronStatus } from "@/lib/crons/cron-status";
import type { CronView } from "@/lib/crons/cron-view";
import { CronsPauseForm, RunNowForm } from "./run-now-form";
import { SidePanel } from "./side-panel";

/** "12:05 UTC, Dec 6" in the app's time zone (UTC when it names none). */
function when(iso: string, timezone: string | undefined): string {
  const zone = timezone ?? "UTC";
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: zone }).format(new Date(iso));
  const day = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: zone }).format(new Date(iso));
  return `${time} ${zone}, ${day}`;
}

/** "1.2 s", "3 min 4 s". */
function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * The deployed application's crons, as the scheduler runs them: each with its spec in words, when
 * it runs next, its last run (result, when, how long, its log), what it is doing now, a miss or a
 * run of failures in words, and Run now; Pause crons / Resume crons for the environment.
 * `blocked`: why none runs on its schedule now (the environment is paused: the way back is said);
 * `runReason`: why this user cannot run them or pause them.
 */
export function CronsPanel({
  projectId,
  environment,
  crons,
  statuses,
  timezone,
  runReason,
  pause,
  blocked,
  scheduling,
}: {
  projectId: string;
  environment: string;
  crons: CronView[];
  statuses: Record<string, CronStatus>;
  timezone: string | undefined;
  runReason?: string;
  pause: { at: string; by: string | null } | null;
  blocked?: string;
  /** Whether this server starts crons on their schedule (CRON_SCHEDULER). */
  scheduling: boolean;
}) {
  if (crons.length === 0) return null;
  const notScheduled = blocked ?? (pause ? `Crons paused${pause.by ? ` by ${pause.by}` : ""} at ${when(pause.at, timezone)}: none starts on its schedule until Resume crons.` : !scheduling ? "This server starts no crons on their schedule (CRON_SCHEDULER=0): Run now runs one." : null);
  return (
    <SidePanel id="env-crons" title="Crons">
      {notScheduled ? (
        <p className="mb-2 rounded border border-border bg-surface-muted px-2 py-1 text-xs" data-testid="crons-not-scheduled">
          {notScheduled}
        </p>
      ) : null}
      <ul className="space-y-3 text-xs">
        {crons.map((c) => {
          const s = statuses[c.name];
          const alert = s ? cronAlert(c.name, s) : null;
          return (
            <li key={c.name} data-testid={`cron-${c.name}`} className="[overflow-wrap:anywhere]">
              <p>
                <span className="font-mono">{c.name}</span> <span className="text-muted">· {c.words}</span>{" "}
                <code className="whitespace-nowrap rounded bg-surface-muted px-1 font-mono">{c.spec}</code>
              </p>
              {c.next && !notScheduled ? (
                <p className="text-muted">
                  Next at <time dateTime={c.next}>{when(c.next, timezone)}</time>
                </p>
              ) : null}
              {s?.current ? (
                <p data-testid="cron-current">
                  <Link className="text-accent hover:underline" href={`/projects/${projectId}/activities/${s.current.activityId}`}>
                    {s.current.state === "in_progress" ? "Running now →" : "Waiting for the environment →"}
                  </Link>
                </p>
              ) : null}
              {s?.lastStartedAt ? (
                <p data-testid="cron-last">
                  Last run <time dateTime={s.lastStartedAt}>{when(s.lastStartedAt, timezone)}</time>:{" "}
                  <span className={s.lastResult === "success" ? "text-success" : "text-danger"}>{s.lastResult === "success" ? "succeeded" : "failed"}</span>
                  {s.lastDurationMs !== null ? ` in ${duration(s.lastDurationMs)}` : ""}
                  {s.lastActivityId ? (
                    <>
                      {" · "}
                      <Link className="text-accent hover:underline" href={`/projects/${projectId}/activities/${s.lastActivityId}`}>
                        its log
                      </Link>
                    </>
                  ) : null}
                </p>
              ) : (
                <p className="text-muted">Not run yet.</p>
              )}
              {alert ? (
                <p role="status" data-testid="cron-alert" className="mt-1 rounded border border-danger/40 bg-danger-soft px-2 py-1 text-danger">
                  {alert} It shows here, in the tree and on the project page until a run succeeds.
                </p>
              ) : s && s.failuresInRow > 0 ? (
                <p className="text-danger">Failed {s.failuresInRow === 1 ? "once" : `${s.failuresInRow} times`} in a row.</p>
              ) : null}
              <RunNowForm projectId={projectId} environment={environment} kind="cron" name={c.name} label="Run now" disabledReason={runReason} />
            </li>
          );
        })}
      </ul>
      <div className="mt-3 border-t border-border pt-3">
        <CronsPauseForm projectId={projectId} environment={environment} paused={!!pause} disabledReason={runReason} />
        <p className="mt-1 text-xs text-muted">One cron runs at a time here; a time that comes while the last run still runs is skipped and said here. Cron runs are folded in the activity list (its filter shows them).</p>
      </div>
    </SidePanel>
  );
}

/**
 * The deployed application's runtime operations this member's role allows (`operations.<name>.role`
 * and above): each its command and Run, an activity beside the running release. The server checks
 * the role again. `runReason`: why none can run now (a pause).
 */
export function OperationsPanel({ projectId, environment, operations, runReason }: { projectId: string; environment: string; operations: { name: string; command: string; role: string }[]; runReason?: string }) {
  if (operations.length === 0) return null;
  return (
    <SidePanel id="env-operations" title="Runtime operations">
      <ul className="space-y-2 text-xs">
        {operations.map((o) => (
          <li key={o.name} data-testid={`operation-${o.name}`} className="[overflow-wrap:anywhere]">
            <p>
              <span className="font-mono">{o.name}</span> <span className="text-muted">· {o.role} and above</span>
            </p>
            <p className="font-mono text-muted">{o.command}</p>
            <RunNowForm projectId={projectId} environment={environment} kind="operation" name={o.name} label={`Run ${o.name}`} disabledReason={runReason} />
          </li>
        ))}
      </ul>
    </SidePanel>
  );
}
