"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { CopyLink } from "@/components/ui/copy-link";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { createApiTokenAction, revokeApiTokenAction } from "@/lib/actions/token-actions";

export function CreateTokenForm() {
  const [state, action] = useActionState(createApiTokenAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="space-y-3" noValidate>
      {state?.ok ? (
        <Alert tone="success">
          Copy this token now; it is not shown again. Use it as the password of the git remote.
          <CopyLink link={state.data.token} label="New API token" testId="new-token" />
        </Alert>
      ) : null}
      <Field id="token-name" label="Token name" errors={errors?.name}>
        <Input id="token-name" name="name" placeholder="laptop" {...describedBy("token-name", errors?.name)} />
      </Field>
      <SubmitButton pendingText="Creating…">Create token</SubmitButton>
    </form>
  );
}

export function RevokeTokenButton({ tokenId, name }: { tokenId: string; name: string }) {
  const [state, action] = useActionState(revokeApiTokenAction, null);
  return (
    <form action={action}>
      <input type="hidden" name="tokenId" value={tokenId} />
      <ConfirmSubmit variant="ghost" className="text-danger" label={`Revoke ${name}`} question={`Revoke ${name}? Scripts and git remotes using it stop working.`} confirm="Revoke" pendingText="Revoking…">
        Revoke
      </ConfirmSubmit>
      {state && !state.ok ? <span className="text-sm text-danger">{state.error}</span> : null}
    </form>
  );
}
