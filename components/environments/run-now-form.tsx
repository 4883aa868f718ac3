"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { Alert } from "@/components/ui/alert";
import { DisabledButton } from "@/components/ui/disabled-button";
import { SubmitButton } from "@/components/ui/submit-button";
import { cronsPauseAction, runNowAction } from "@/lib/actions/run-now-actions";

/** Run now for one cron or runtime operation: an activity, followed to its end with its log; `disabledReason`: why this user cannot. */
export function RunNowForm({ projectId, environment, kind, name, label, disabledReason }: { projectId: string; environment: string; kind: "cron" | "operation"; name: string; label: string; disabledReason?: string }) {
  const [state, action] = useActionState(runNowAction, null);
  return (
    <form action={action} className="mt-1 space-y-2">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="environment" value={environment} />
      <input type="hidden" name="kind" value={kind} />
      <input type="hidden" name="name" value={name} />
      {disabledReason ? (
        <DisabledButton reason={disabledReason}>{label}</DisabledButton>
      ) : (
        <SubmitButton variant="secondary" pendingText="Queueing…" className="px-2.5 py-1 text-xs">
          {label}
        </SubmitButton>
      )}
      {state?.ok ? <QueuedNotice key={state.data.activityId} projectId={projectId} activityId={state.data.activityId} what={`${kind === "cron" ? "Cron" : "Operation"} ${name}`} inDialog={false} /> : null}
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
    </form>
  );
}

/** Pause crons / Resume crons of an environment: recorded as an activity at once; the page then says so. */
export function CronsPauseForm({ projectId, environment, paused, disabledReason }: { projectId: string; environment: string; paused: boolean; disabledReason?: string }) {
  const [state, action] = useActionState(cronsPauseAction, null);
  const router = useRouter();
  useEffect(() => {
    if (state?.ok) router.refresh();
  }, [state, router]);
  const label = paused ? "Resume crons" : "Pause crons";
  return (
    <form action={action} className="space-y-2">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="environment" value={environment} />
      <input type="hidden" name="pause" value={paused ? "0" : "1"} />
      {disabledReason ? (
        <DisabledButton reason={disabledReason}>{label}</DisabledButton>
      ) : (
        <SubmitButton variant="secondary" pendingText={paused ? "Resuming…" : "Pausing…"} className="px-2.5 py-1 text-xs">
          {label}
        </SubmitButton>
      )}
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
    </form>
  );
}
