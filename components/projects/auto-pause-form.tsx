"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { setAutoPauseDaysAction } from "@/lib/actions/project-actions";

/** "Pause environments not deployed for N days" (Production never is). */
export function AutoPauseForm({ projectId, days, disabledReason }: { projectId: string; days: number; disabledReason?: string }) {
  const [state, action] = useActionState(setAutoPauseDaysAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="max-w-xl space-y-4" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      {state?.ok ? <Alert tone="success">Saved.</Alert> : null}
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field
        id="auto-pause-days"
        label="Pause environments not deployed for (days)"
        hint={disabledReason ?? "Staging and Integration environments whose last deploy is older are paused (their sites answer 503, their data is kept); each pause is an activity. 0 never pauses. Production is never paused."}
        errors={errors?.days}
      >
        <Input id="auto-pause-days" name="days" type="number" min={0} max={365} inputMode="numeric" className="w-32" defaultValue={state && !state.ok ? state.values?.days : days} disabled={Boolean(disabledReason)} {...describedBy("auto-pause-days", errors?.days, true)} />
      </Field>
      <SubmitButton variant="secondary" disabled={Boolean(disabledReason)} pendingText="Saving…">
        Save
      </SubmitButton>
    </form>
  );
}
