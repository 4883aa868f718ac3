"use client";

import { useActionState, useEffect } from "react";
import { useWatchActivity } from "@/components/activities/activity-toasts";
import { formatDateTime } from "@/components/projects/format";
import { DisabledButton } from "@/components/ui/disabled-button";
import { SubmitButton } from "@/components/ui/submit-button";
import { pauseEnvironmentAction } from "@/lib/actions/settings-actions";

/** What Pause does, as its question says it (lib/runtime/deploy.ts setPaused: the router's 503, every process stopped; nothing removed). */
export function pauseConsequences(environment: string): string {
  return `The site of ${environment} answers 503 until you Resume it (a push or a redeploy resumes it too); its application and workers stop. Nothing is deleted: its data is kept, and it still counts towards the plan.`;
}

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
  const [state, action] = useActionState(pauseEnvironmentAction, null);
  const watchActivity = useWatchActivity();
  useEffect(() => {
    if (state?.ok) watchActivity({ projectId, activityId: state.data.activityId });
  }, [state, projectId, watchActivity]);
  return (
    <span className="inline-flex flex-wrap items-center gap-2" data-testid="paused-control">
      {pause ? <span data-testid="paused-by">{pausedWhy(pause)}: the site answers 503.</span> : <span>The site answers 503.</span>}
      {disabledReason ? (
        <DisabledButton reason={disabledReason}>Resume</DisabledButton>
      ) : state?.ok ? null : (
        <form action={action} className="inline-flex">
          <input type="hidden" name="projectId" value={projectId} />
          <input type="hidden" name="environment" value={environment} />
          <input type="hidden" name="pause" value="0" />
          <SubmitButton variant="secondary" pendingText="Resuming…" className="px-2.5 py-1">
            Resume
          </SubmitButton>
        </form>
      )}
      {state && !state.ok ? (
        <span role="alert" className="text-danger">
          {state.error}
        </span>
      ) : null}
    </span>
  );
}
