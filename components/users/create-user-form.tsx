"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { PasswordInput } from "@/components/ui/password-input";
import { SubmitButton } from "@/components/ui/submit-button";
import { useResetKey } from "@/components/ui/use-reset-key";
import { createUserAction } from "@/lib/actions/user-actions";

export function CreateUserForm() {
  const [state, action] = useActionState(createUserAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const resetKey = useResetKey(state);
  return (
    // A new key after success empties every field; after an error, what was typed stays.
    <form key={resetKey} action={action} className="grid gap-4 sm:grid-cols-2" noValidate>
      {state?.ok || (state && !state.fieldErrors) ? (
        <div className="sm:col-span-2">
          {state.ok ? <Alert tone="success">User added. Give them their email and password to sign in.</Alert> : <Alert tone="error">{state.error}</Alert>}
        </div>
      ) : null}
      <Field id="name" label="Name" errors={errors?.name}>
        <Input id="name" name="name" required defaultValue={state?.values?.name} {...describedBy("name", errors?.name)} />
      </Field>
      <Field id="email" label="Email" errors={errors?.email}>
        <Input id="email" name="email" type="email" required defaultValue={state?.values?.email} {...describedBy("email", errors?.email)} />
      </Field>
      <Field id="password" label="Initial password" hint="At least 8 characters." errors={errors?.password}>
        <PasswordInput id="password" name="password" autoComplete="new-password" required {...describedBy("password", errors?.password, true)} />
      </Field>
      <label className="flex items-center gap-2 self-center text-sm">
        <input type="checkbox" name="isAdmin" defaultChecked={state && !state.ok ? state.values?.isAdmin === "on" : false} className="size-4 accent-[var(--accent)]" /> Instance administrator
      </label>
      <div className="sm:col-span-2">
        <SubmitButton pendingText="Adding…">Add user</SubmitButton>
      </div>
    </form>
  );
}
