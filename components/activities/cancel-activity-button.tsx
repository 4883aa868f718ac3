"use client";

import { useActionState } from "react";
import { DisabledButton } from "@/components/ui/disabled-button";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { cancelActivityAction } from "@/lib/actions/environment-actions";
import { cancelProblem } from "@/lib/activities/cancel-rules";
import type { ActivityView } from "@/lib/activities/activity-view";

/** Cancel while pending, building or deploying; otherwise a disabled button that says why. */
export function CancelActivityButton({ projectId, activity }: { projectId: string; activity: ActivityView }) {
  const [state, action] = useActionState(cancelActivityAction, null);
  const reason = cancelProblem(activity);
  if (activity.cancelRequested) return <span className="text-muted">Cancelling…</span>;
  return (
    <form action={action} className="ml-auto flex items-center gap-2">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="activityId" value={activity.id} />
      {reason ? (
        <DisabledButton reason={reason} align="end">
          Cancel
        </DisabledButton>
      ) : (
        <ConfirmSubmit question="Cancel this activity? Its running hooks are stopped at once." confirm="Cancel it" pendingText="Cancelling…">
          Cancel
        </ConfirmSubmit>
      )}
      {state && !state.ok ? <span role="alert" className="text-sm text-danger">{state.error}</span> : null}
    </form>
  );
}
