"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { addProjectMemberAction } from "@/lib/actions/member-actions";
import { RoleFields } from "./role-fields";

export function AddMemberForm({ projectId }: { projectId: string }) {
  const [state, action] = useActionState(addProjectMemberAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      {state?.ok ? <Alert tone="success">Member added.</Alert> : null}
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field id="member-email" label="Email" hint="The email of an existing account." errors={errors?.email}>
        <Input id="member-email" name="email" type="email" required defaultValue={state && !state.ok ? state.values?.email : ""} {...describedBy("member-email", errors?.email, true)} />
      </Field>
      <div className="grid gap-4 sm:grid-cols-4">
        <RoleFields idPrefix="new" initial={{ role: "viewer", production: "viewer", staging: "viewer", development: "contributor" }} />
      </div>
      <SubmitButton pendingText="Adding…">Add member</SubmitButton>
    </form>
  );
}
