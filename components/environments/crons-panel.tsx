import type { CronView } from "@/lib/crons/cron-view";

/** "12:05 UTC, Dec 6" in the app's time zone (UTC when it names none). */
function when(iso: string, timezone: string | undefined): string {
  const zone = timezone ?? "UTC";
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: zone }).format(new Date(iso));
  const day = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: zone }).format(new Date(iso));
  return `${time} ${zone}, ${day}`;
}

/**
 * The deployed application's crons: each with its spec in words and when it would run next. Said
 * plainly: this console does not run them yet.
 */
export function CronsPanel({ crons, timezone }: { crons: CronView[]; timezone: string | undefined }) {
  if (crons.length === 0) return null;
  return (
    <section aria-labelledby="env-crons" className="rounded-lg border border-border bg-surface p-4 text-sm">
      <h2 id="env-crons" className="mb-2 font-semibold">
        Crons
      </h2>
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
          </li>
        ))}
      </ul>
      <p className="mt-3 text-xs text-muted">This console does not run crons yet: each is shown with when it would run.</p>
    </section>
  );
}
