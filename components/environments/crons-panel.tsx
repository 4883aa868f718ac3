import type { CronView } from "@/lib/crons/cron-view";
import { RunNowForm } from "./run-now-form";
import { SidePanel } from "./side-panel";

/** "12:05 UTC, Dec 6" in the app's time zone (UTC when it names none). */
function when(iso: string, timezone: string | undefined): string {
  const zone = timezone ?? "UTC";
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: zone }).format(new Date(iso));
  const day = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: zone }).format(new Date(iso));
  return `${time} ${zone}, ${day}`;
}

/**
 * The deployed application's crons: each with its spec in words, when it would run next, and Run
 * now (an activity beside the running release). Said plainly: this console does not run them on
 * their schedule yet. `runReason`: why this user cannot run them now (their role, a pause).
 */
export function CronsPanel({ projectId, environment, crons, timezone, runReason }: { projectId: string; environment: string; crons: CronView[]; timezone: string | undefined; runReason?: string }) {
  if (crons.length === 0) return null;
  return (
    <SidePanel id="env-crons" title="Crons">
      <ul className="space-y-2 text-xs">
        {crons.map((c) => (
          <li key={c.name} data-testid={`cron-${c.name}`} className="[overflow-wrap:anywhere]">
            <p>
              <span className="font-mono">{c.name}</span> <span className="text-muted">· {c.words}</span>{" "}
              <code className="whitespace-nowrap rounded bg-surface-muted px-1 font-mono">{c.spec}</code>
            </p>
            {c.next ? (
              <p className="text-muted">
                Would run next at <time dateTime={c.next}>{when(c.next, timezone)}</time>
              </p>
            ) : null}
            <RunNowForm projectId={projectId} environment={environment} kind="cron" name={c.name} label="Run now" disabledReason={runReason} />
          </li>
        ))}
      </ul>
      <p className="mt-3 text-xs text-muted">This console does not run crons on their schedule yet: each is shown with when it would run, and Run now runs it once, as an activity with its log (and cron.log).</p>
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
