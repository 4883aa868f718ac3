"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useActionState, useEffect } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { renameProjectAction } from "@/lib/actions/project-actions";
import { queryKeys } from "@/components/query-keys";

export function RenameProjectForm({ projectId, title, disabledReason }: { projectId: string; title: string; disabledReason?: string }) {
  const [state, action] = useActionState(renameProjectAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const queryClient = useQueryClient();
  useEffect(() => {
    if (state?.ok) void queryClient.invalidateQueries({ queryKey: queryKeys.projects() });
  }, [state, queryClient]);
  return (
    <form action={action} className="max-w-xl space-y-4" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      {state?.ok ? <Alert tone="success">Project renamed.</Alert> : null}
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field id="title" label="Title" hint={disabledReason ?? "1–100 characters."} errors={errors?.title}>
        <Input
          id="title"
          name="title"
          required
          defaultValue={state?.values?.title ?? title}
          disabled={Boolean(disabledReason)}
          {...describedBy("title", errors?.title, true)}
        />
      </Field>
      <SubmitButton disabled={Boolean(disabledReason)} pendingText="Saving…">
        Rename
      </SubmitButton>
    </form>
  );
}
