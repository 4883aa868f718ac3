"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Select } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { setDefaultBranchParentAction } from "@/lib/actions/project-actions";

/** Where a branch pushed with git becomes an environment: the project's "default parent for new branches". */
export function BranchParentForm({
  projectId,
  current,
  planDefault,
  environments,
  disabledReason,
}: {
  projectId: string;
  current: string | null;
  planDefault: string;
  environments: { name: string; title: string }[];
  disabledReason?: string;
}) {
  const [state, action] = useActionState(setDefaultBranchParentAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="max-w-xl space-y-4" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      {state?.ok ? <Alert tone="success">Saved: new branches pushed with git hang under the chosen environment.</Alert> : null}
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field
        id="parent"
        label="Default parent for new branches"
        hint={
          disabledReason ?? (
            <>
              A branch pushed with git becomes an environment under this one (its data is copied from it on Activate). <code className="font-mono">git push -o environment.parent=&lt;name&gt;</code> chooses another per push.
            </>
          )
        }
        errors={errors?.parent}
      >
        <Select id="parent" name="parent" defaultValue={current ?? ""} disabled={Boolean(disabledReason)} aria-describedby="parent-hint">
          <option value="">Plan default ({planDefault})</option>
          {environments.map((e) => (
            <option key={e.name} value={e.name}>
              {e.title} ({e.name})
            </option>
          ))}
        </Select>
      </Field>
      <SubmitButton variant="secondary" disabled={Boolean(disabledReason)} pendingText="Saving…">
        Save
      </SubmitButton>
    </form>
  );
}
