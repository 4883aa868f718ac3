"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { createFirstAdministratorAction } from "@/lib/actions/auth-actions";
import { NewPasswordFields } from "./link-forms";

export function SetupForm() {
  const [state, action] = useActionState(createFirstAdministratorAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field id="name" label="Name" errors={errors?.name}>
        <Input id="name" name="name" autoComplete="name" required autoFocus defaultValue={state?.values?.name} {...describedBy("name", errors?.name)} />
      </Field>
      <Field id="email" label="Email" errors={errors?.email}>
        <Input id="email" name="email" type="email" autoComplete="username" required defaultValue={state?.values?.email} {...describedBy("email", errors?.email)} />
      </Field>
      <NewPasswordFields errors={errors} />
      <SubmitButton className="w-full" pendingText="Creating…">
        Create administrator
      </SubmitButton>
    </form>
  );
}
