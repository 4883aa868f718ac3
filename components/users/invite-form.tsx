"use client";

import { useActionState } from "react";
import { RoleFields } from "@/components/access/role-fields";
import { Alert } from "@/components/ui/alert";
import { CopyLink } from "@/components/ui/copy-link";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { useResetKey } from "@/components/ui/use-reset-key";
import { createInstanceInvitationAction } from "@/lib/actions/user-actions";
import { inviteMemberAction } from "@/lib/actions/invitation-actions";

/**
 * Invite by email: with `projectId`, into that project with the roles chosen here; without,
 * to the instance only. The one-time link is shown once, to copy and send.
 */
export function InviteForm({ projectId }: { projectId?: string }) {
  const [state, action] = useActionState(projectId ? inviteMemberAction : createInstanceInvitationAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const resetKey = useResetKey(state);
  const id = projectId ? "invite-member-email" : "invite-email";
  return (
    <div className="space-y-3">
      {state?.ok ? (
        <Alert tone="success">
          Invitation created. Send this link to the person; it works once, for 24 hours, and is not shown again:
          <CopyLink link={state.data.link} label="Invitation link" />
        </Alert>
      ) : null}
      <form key={resetKey} action={action} className="space-y-4" noValidate>
        {projectId ? <input type="hidden" name="projectId" value={projectId} /> : null}
        {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
        <Field id={id} label="Email to invite" hint="Someone without an account yet." errors={errors?.email}>
          <Input id={id} name="email" type="email" required defaultValue={state && !state.ok ? state.values?.email : ""} {...describedBy(id, errors?.email, true)} />
        </Field>
        {projectId ? (
          <div className="grid gap-4 sm:grid-cols-4">
            <RoleFields idPrefix="invite" initial={{ role: "viewer", production: "viewer", staging: "viewer", development: "contributor" }} />
          </div>
        ) : null}
        <SubmitButton pendingText="Creating…">Create invitation link</SubmitButton>
      </form>
    </div>
  );
}
