"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { PasswordInput } from "@/components/ui/password-input";
import { SubmitButton } from "@/components/ui/submit-button";
import { useResetKey } from "@/components/ui/use-reset-key";
import { changePasswordAction, updateOwnNameAction } from "@/lib/actions/account-actions";

export function NameForm({ name }: { name: string }) {
  const [state, action] = useActionState(updateOwnNameAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="flex flex-wrap items-end gap-3" noValidate>
      <div className="min-w-60 flex-1">
        <Field id="account-name" label="Name" errors={errors?.name}>
          <Input id="account-name" name="name" autoComplete="name" defaultValue={state && !state.ok ? state.values?.name : name} {...describedBy("account-name", errors?.name)} />
        </Field>
      </div>
      <SubmitButton variant="secondary" pendingText="Saving…">
        Save name
      </SubmitButton>
      <div className="basis-full" aria-live="polite">
        {state?.ok ? <Alert tone="success">Name saved.</Alert> : null}
        {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      </div>
    </form>
  );
}

export function ChangePasswordForm() {
  const [state, action] = useActionState(changePasswordAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const ended = state?.ok ? state.data.ended : 0;
  const resetKey = useResetKey(state);
  return (
    <form key={resetKey} action={action} className="grid gap-4 sm:grid-cols-3" noValidate>
      {state?.ok ? (
        <div className="sm:col-span-3">
          <Alert tone="success">Password changed. {ended > 0 ? `${ended} other session${ended === 1 ? "" : "s"} signed out.` : "You had no other sessions."}</Alert>
        </div>
      ) : null}
      {state && !state.ok && !state.fieldErrors ? (
        <div className="sm:col-span-3">
          <Alert tone="error">{state.error}</Alert>
        </div>
      ) : null}
      <Field id="currentPassword" label="Current password" errors={errors?.currentPassword}>
        <PasswordInput id="currentPassword" name="currentPassword" autoComplete="current-password" required {...describedBy("currentPassword", errors?.currentPassword)} />
      </Field>
      <Field id="new-password" label="New password" hint="At least 8 characters." errors={errors?.password}>
        <PasswordInput id="new-password" name="password" autoComplete="new-password" required {...describedBy("new-password", errors?.password, true)} />
      </Field>
      <Field id="confirmPassword" label="Repeat the new password" errors={errors?.confirmPassword}>
        <PasswordInput id="confirmPassword" name="confirmPassword" autoComplete="new-password" required {...describedBy("confirmPassword", errors?.confirmPassword)} />
      </Field>
      <div className="sm:col-span-3">
        <SubmitButton pendingText="Changing…">Change password</SubmitButton>
        <p className="mt-2 text-xs text-muted">Your other sessions end when the password changes; this one stays signed in.</p>
      </div>
    </form>
  );
}
