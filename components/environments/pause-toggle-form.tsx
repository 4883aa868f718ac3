"use client";

import { useActionState, useEffect, type ReactNode } from "react";
import { useWatchActivity } from "@/components/activities/activity-toasts";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { Alert } from "@/components/ui/alert";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { DisabledButton } from "@/components/ui/disabled-button";
import { SubmitButton } from "@/components/ui/submit-button";
import { pauseEnvironmentAction } from "@/lib/actions/settings-actions";

/** What Pause does, as its question says it (lib/runtime/deploy.ts setPaused: the router's 503, every process stopped; nothing removed). */
export function pauseConsequences(environment: string): string {
  return `The site of ${environment} answers 503 until you Resume it (a push or a redeploy resumes it too); its application and workers stop. Nothing is deleted: its data is kept, and it still counts towards the plan.`;
}

/**
 * Pause (asks once, saying what happens) or Resume an environment; either records an activity.
 * `variant`: "header", inline beside the page's title (the header's Pause in the toolbar, its
 * Resume beside "Paused"): a toast follows the activity, an error shows on the line, and Resume
 * goes once queued (Pause gives way to the busy environment's disabled button); "settings", a
 * block on the settings page: `children` (what it says), the activity's notice, then the button.
 * `disabledReason`: why this user cannot (a DisabledButton that says so).
 */
export function PauseToggleForm({
  projectId,
  environment,
  pause,
  variant,
  disabledReason,
  children,
}: {
  projectId: string;
  environment: string;
  /** true: Pause; false: Resume. */
  pause: boolean;
  variant: "header" | "settings";
  disabledReason?: string;
  children?: ReactNode;
}) {
  const [state, action] = useActionState(pauseEnvironmentAction, null);
  const watchActivity = useWatchActivity();
  const inHeader = variant === "header";
  useEffect(() => {
    if (inHeader && state?.ok) watchActivity({ projectId, activityId: state.data.activityId });
  }, [inHeader, state, projectId, watchActivity]);

  const button = disabledReason ? (
    <DisabledButton reason={disabledReason}>{pause ? "Pause" : "Resume"}</DisabledButton>
  ) : pause ? (
    <ConfirmSubmit variant={inHeader ? "ghost" : "secondary"} question={`Pause ${environment}? ${pauseConsequences(environment)}`} confirm={`Pause ${environment}`} pendingText="Pausing…">
      Pause
    </ConfirmSubmit>
  ) : (
    <SubmitButton variant="secondary" pendingText="Resuming…" className={inHeader ? "px-2.5 py-1" : ""}>
      Resume
    </SubmitButton>
  );
  return (
    <form action={action} className={inHeader ? "inline-flex items-center gap-2" : "space-y-3"}>
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="environment" value={environment} />
      <input type="hidden" name="pause" value={pause ? "1" : "0"} />
      {children}
      {!inHeader && state?.ok ? <QueuedNotice key={state.data.activityId} projectId={projectId} activityId={state.data.activityId} what={pause ? "Pause" : "Resume"} inDialog={false} /> : null}
      {!inHeader && state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
      {inHeader && !pause && state?.ok ? null : button}
      {inHeader && state && !state.ok ? (
        <span role="alert" className="text-sm text-danger">
          {state.error}
        </span>
      ) : null}
    </form>
  );
}
