"use client";

import { formatDateTime } from "@/components/projects/format";
import { PauseToggleForm } from "./pause-toggle-form";

/** Who paused an environment and when (the server's PauseRecord, as JSON). */
export interface PauseFacts {
  at: string;
  by: string | null;
  description: string | null;
}

/** "by Ann on Jan 2, 2025, 10:00 AM UTC", or why the project paused it by itself. */
export function pausedWhy(pause: PauseFacts): string {
  const when = formatDateTime(new Date(pause.at));
  if (pause.by) return `by ${pause.by} on ${when}`;
  const reason = pause.description?.includes(": ") ? pause.description.slice(pause.description.indexOf(": ") + 2) : null;
  return reason ? `automatically on ${when} (${reason})` : `on ${when}`;
}

/**
 * Beside the header's "Paused": who paused it and when, and Resume (for those who may: a
 * DisabledButton with the reason for the others). Resume records an activity; the header
 * follows it through the project's events.
 */
export function ResumeControl({ projectId, environment, pause, disabledReason }: { projectId: string; environment: string; pause: PauseFacts | null; disabledReason?: string }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-2" data-testid="paused-control">
      {pause ? <span data-testid="paused-by">{pausedWhy(pause)}: the site answers 503.</span> : <span>The site answers 503.</span>}
      <PauseToggleForm projectId={projectId} environment={environment} pause={false} variant="header" disabledReason={disabledReason} />
    </span>
  );
}
