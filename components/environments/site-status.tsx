import Link from "next/link";
import { Fragment } from "react";
import type { SiteLine, SiteTone } from "@/lib/environments/site-status";

export const TONE_TEXT: Record<SiteTone, string> = {
  success: "text-success",
  progress: "text-accent",
  danger: "text-danger",
  muted: "text-muted",
};
export const TONE_DOT: Record<SiteTone, string> = {
  success: "bg-success",
  progress: "bg-accent animate-pulse",
  danger: "bg-danger",
  muted: "bg-muted/60",
};
const TONE_BOX: Record<SiteTone, string> = {
  success: "border-border bg-surface",
  progress: "border-accent/40 bg-surface",
  danger: "border-danger/40 bg-danger-soft",
  muted: "border-border bg-surface",
};

/** The Logs tab at one log ("app", "worker-queue"). */
export function logHref(projectId: string, environmentName: string, log: string): string {
  return `/projects/${projectId}/environments/${environmentName}/logs?log=${encodeURIComponent(log)}`;
}

/**
 * "Site: Up · PHP 8.2 (PHP-FPM) behind nginx · 31 MiB · no restarts", or why it is not up, and
 * each worker with its state. Rendered by the server: a `runtime` change on the project's event
 * stream renders it again.
 */
export function SiteStatus({ line, projectId, environmentName }: { line: SiteLine; projectId: string; environmentName: string }) {
  return (
    <section aria-label="Site" data-testid="site-status" data-tone={line.tone} className={`mb-4 rounded-lg border px-4 py-2.5 text-sm ${TONE_BOX[line.tone]}`}>
      {/* One line of text that wraps where words do: a separator stays at the end of its line. */}
      <p className="text-muted">
        <span aria-hidden className={`mr-2 inline-block size-2.5 rounded-full ${TONE_DOT[line.tone]}`} />
        <span className={`font-semibold ${TONE_TEXT[line.tone]}`} data-testid="site-state">
          Site: {line.label}
        </span>
        {line.facts.map((fact, i) => (
          <Fragment key={fact}>
            {"\u00a0· "}
            <span className={i === 0 ? "[overflow-wrap:anywhere]" : "whitespace-nowrap"}>{fact}</span>
          </Fragment>
        ))}
      </p>
      {line.detail || line.log ? (
        <p className="mt-1 text-foreground [overflow-wrap:anywhere]">
          {line.detail}
          {line.log ? (
            <>
              {line.detail ? " " : null}
              <Link href={logHref(projectId, environmentName, line.log)} className="font-medium text-accent hover:underline">
                Open {line.log}.log →
              </Link>
            </>
          ) : null}
        </p>
      ) : null}
      {line.note ? <p className="mt-1 text-xs text-muted">{line.note}</p> : null}
      {line.workers.length > 0 ? (
        <ul aria-label="Workers" className="mt-1.5 flex flex-wrap gap-x-4 gap-y-1 border-t border-border pt-1.5 text-xs">
          {line.workers.map((w) => (
            <li key={w.name} className="flex flex-wrap items-center gap-x-1.5" data-testid={`worker-${w.name}`}>
              <span aria-hidden className={`inline-block size-2 shrink-0 rounded-full ${TONE_DOT[w.tone]}`} />
              <span className="text-muted">Worker</span> <span className="font-mono">{w.name}</span> <span className={`font-medium ${TONE_TEXT[w.tone]}`}>{w.label}</span>{" "}
              {w.facts.length ? <span className="text-muted">({w.facts.join(", ")})</span> : null}{" "}
              {w.tone === "danger" || w.label === "stopped" ? (
                <Link href={logHref(projectId, environmentName, w.log)} className="font-medium text-accent hover:underline">
                  its log →
                </Link>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
