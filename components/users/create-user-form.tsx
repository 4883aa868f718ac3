"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { createUserAction } from "@/lib/actions/user-actions";

export function CreateUserForm() {
  const [state, action] = useActionState(createUserAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="grid gap-4 sm:grid-cols-2" noValidate>
      <div className="sm:col-span-2">
        {state?.ok ? <Alert tone="success">User added. Give them their email and password to sign in.</Alert> : null}
        {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      </div>
      <Field id="name" label="Name" errors={errors?.name}>
        <Input id="name" name="name" required defaultValue={state?.values?.name} {...describedBy("name", errors?.name)} />
      </Field>
      <Field id="email" label="Email" errors={errors?.email}>
        <Input id="email" name="email" type="email" required defaultValue={state?.values?.email} {...describedBy("email", errors?.email)} />
      </Field>
      <Field id="password" label="Initial password" hint="At least 8 characters." errors={errors?.password}>
        <Input id="password" name="password" type="password" autoComplete="new-password" required {...describedBy("password", errors?.password, true)} />
      </Field>
      <label className="flex items-center gap-2 self-center text-sm">
        <input type="checkbox" name="isAdmin" className="size-4 accent-[var(--accent)]" /> Instance administrator
      </label>
      <div className="sm:col-span-2">
        <SubmitButton pendingText="Adding…">Add user</SubmitButton>
      </div>
    </form>
  );
}
