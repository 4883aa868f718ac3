"use client";

import Link from "next/link";
import { useActionState } from "react";
import { LINK_UNUSABLE } from "@/lib/users/link-messages";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { PasswordInput } from "@/components/ui/password-input";
import { SubmitButton } from "@/components/ui/submit-button";
import { acceptInvitationAction, resetPasswordAction } from "@/lib/actions/invitation-actions";

/** A new password and its repetition, keeping what was typed after an error. */
export function NewPasswordFields({ errors }: { errors?: Record<string, string[]> }) {
  return (
    <>
      <Field id="password" label="Password" hint="At least 8 characters." errors={errors?.password}>
        <PasswordInput id="password" name="password" autoComplete="new-password" required {...describedBy("password", errors?.password, true)} />
      </Field>
      <Field id="confirmPassword" label="Repeat the password" errors={errors?.confirmPassword}>
        <PasswordInput id="confirmPassword" name="confirmPassword" autoComplete="new-password" required {...describedBy("confirmPassword", errors?.confirmPassword)} />
      </Field>
    </>
  );
}

export function AcceptInvitationForm({ token, email }: { token: string; email: string }) {
  const [state, action] = useActionState(acceptInvitationAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="token" value={token} />
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field id="invite-email" label="Email">
        <Input id="invite-email" value={email} readOnly autoComplete="username" className="bg-surface-muted" />
      </Field>
      <Field id="name" label="Your name" errors={errors?.name}>
        <Input id="name" name="name" autoComplete="name" required autoFocus defaultValue={state?.values?.name} {...describedBy("name", errors?.name)} />
      </Field>
      <NewPasswordFields errors={errors} />
      <SubmitButton className="w-full" pendingText="Creating your account…">
        Create account and join
      </SubmitButton>
    </form>
  );
}

/** What the invitation and reset pages show for a link that is expired, used, withdrawn or made up. */
export function UnusableLink({ title }: { title: string }) {
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold">{title}</h1>
      <p className="mb-4 text-sm text-muted">{LINK_UNUSABLE}</p>
      <Link href="/sign-in" className="text-sm text-accent underline">
        Sign in
      </Link>
    </>
  );
}

export function ResetPasswordForm({ token, email }: { token: string; email: string }) {
  const [state, action] = useActionState(resetPasswordAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="token" value={token} />
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field id="reset-email" label="Email">
        <Input id="reset-email" value={email} readOnly autoComplete="username" className="bg-surface-muted" />
      </Field>
      <NewPasswordFields errors={errors} />
      <SubmitButton className="w-full" pendingText="Saving…">
        Set password and sign in
      </SubmitButton>
    </form>
  );
}
