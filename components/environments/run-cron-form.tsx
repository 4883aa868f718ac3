"use client";

import { useActionState } from "react";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { Alert } from "@/components/ui/alert";
import { DisabledButton } from "@/components/ui/disabled-button";
import { SubmitButton } from "@/components/ui/submit-button";
import { runCronAction } from "@/lib/actions/cron-actions";

/** Run now for one cron: an activity, followed to its end with its log; `disabledReason`: why this user cannot. */
export function RunCronForm({ projectId, environment, cron, disabledReason }: { projectId: string; environment: string; cron: string; disabledReason?: string }) {
  const [state, action] = useActionState(runCronAction, null);
  return (
    <form action={action} className="mt-1 space-y-2">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="environment" value={environment} />
      <input type="hidden" name="cron" value={cron} />
      {disabledReason ? (
        <DisabledButton reason={disabledReason}>Run now</DisabledButton>
      ) : (
        <SubmitButton variant="secondary" pendingText="Queueing…" className="px-2.5 py-1 text-xs">
          Run now
        </SubmitButton>
      )}
      {state?.ok ? <QueuedNotice key={state.data.activityId} projectId={projectId} activityId={state.data.activityId} what={`Cron ${cron}`} inDialog={false} /> : null}
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
    </form>
  );
}
