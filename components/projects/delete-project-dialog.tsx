"use client";

import { useActionState, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { Field, Input, describedBy } from "@/components/ui/field";
import { deleteProjectAction } from "@/lib/actions/project-actions";

export function DeleteProjectDialog({ projectId, disabledReason }: { projectId: string; disabledReason?: string }) {
  const [state, action] = useActionState(deleteProjectAction, null);
  const [typed, setTyped] = useState("");
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const trigger = (
    <Button variant="danger" disabled={Boolean(disabledReason)} title={disabledReason}>
      Delete project
    </Button>
  );
  if (disabledReason) return trigger;
  return (
    <Dialog
      trigger={trigger}
      title="Delete this project?"
      description={
        <>
          This deletes the project <strong className="font-mono">{projectId}</strong> and everything it holds. It cannot be undone.
        </>
      }
    >
      <form action={action} className="space-y-4" noValidate>
        <input type="hidden" name="projectId" value={projectId} />
        {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
        <Field id="confirmation" label={`Type ${projectId} to confirm`} errors={errors?.confirmation}>
          <Input
            id="confirmation"
            name="confirmation"
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            {...describedBy("confirmation", errors?.confirmation)}
          />
        </Field>
        <DialogActions variant="danger" disabled={typed.trim() !== projectId} pendingText="Deleting…">Delete project</DialogActions>
      </form>
    </Dialog>
  );
}
