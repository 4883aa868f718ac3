"use client";

import { useActionState, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CopyLink } from "@/components/ui/copy-link";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { createResetLinkAction, manageUserAction, updateUserAction } from "@/lib/actions/user-actions";

export interface ManagedUser {
  id: string;
  name: string;
  email: string;
  isAdmin: boolean;
  isDeactivated: boolean;
  lockedAddresses: string[];
  isSelf: boolean;
}

/** Everything an instance administrator can do to one user, in one dialog. */
export function ManageUserDialog({ user }: { user: ManagedUser }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
      title={`Manage ${user.name || user.email}`}
      description={user.email}
      trigger={
        <Button variant="secondary" aria-label={`Manage ${user.email}`}>
          Manage
        </Button>
      }
    >
      {/* Mounted only while open: every opening starts without old notices. */}
      {open ? <ManageUserPanels user={user} /> : null}
    </Dialog>
  );
}

function ManageUserPanels({ user }: { user: ManagedUser }) {
  return (
    <div className="max-h-[70dvh] space-y-5 overflow-y-auto">
      <EditUserForm user={user} />
      <ResetLinkForm user={user} />
      <UserStateForms user={user} />
    </div>
  );
}

function EditUserForm({ user }: { user: ManagedUser }) {
  const [state, action] = useActionState(updateUserAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={action} className="space-y-3" noValidate>
      <input type="hidden" name="userId" value={user.id} />
      {state?.ok ? <Alert tone="success">Saved.</Alert> : null}
      {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
      <Field id={`edit-name-${user.id}`} label="Name" errors={errors?.name}>
        <Input id={`edit-name-${user.id}`} name="name" defaultValue={state && !state.ok ? state.values?.name : user.name} {...describedBy(`edit-name-${user.id}`, errors?.name)} />
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="isAdmin" value="on" defaultChecked={user.isAdmin} className="size-4 accent-[var(--accent)]" /> Instance administrator
        {/* read only when the box is unchecked: FormData.get returns the first value */}
        <input type="hidden" name="isAdmin" value="off" />
      </label>
      <SubmitButton variant="secondary" pendingText="Saving…">
        Save
      </SubmitButton>
    </form>
  );
}

function ResetLinkForm({ user }: { user: ManagedUser }) {
  const [state, action] = useActionState(createResetLinkAction, null);
  return (
    <form action={action} className="space-y-2 border-t border-border pt-4">
      <input type="hidden" name="userId" value={user.id} />
      <h3 className="text-sm font-semibold">Password reset</h3>
      <p className="text-xs text-muted">A link that lets {user.email} choose a new password, once, within 24 hours. Their sessions end when they use it. It is shown only now: copy it and send it to them.</p>
      {state?.ok ? <CopyLink link={state.data.link} label="Password reset link" /> : null}
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
      <SubmitButton variant="secondary" pendingText="Creating…">
        {state?.ok ? "Make another link" : "Create a reset link"}
      </SubmitButton>
    </form>
  );
}

function UserStateForms({ user }: { user: ManagedUser }) {
  const [state, action] = useActionState(manageUserAction, null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  return (
    <form action={action} className="space-y-3 border-t border-border pt-4">
      <input type="hidden" name="userId" value={user.id} />
      {state?.ok ? <Alert tone="success">{state.data.message}</Alert> : null}
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
      {user.lockedAddresses.length > 0 ? (
        <div className="space-y-2">
          <p className="text-sm">Sign-in is locked for this email from {user.lockedAddresses.join(", ") || "an unknown address"} after repeated failures.</p>
          <SubmitButton variant="secondary" name="intent" value="unlock" pendingText="Unlocking…">
            Unlock sign-in
          </SubmitButton>
        </div>
      ) : null}
      <div className="flex flex-wrap items-center gap-2">
        {user.isDeactivated ? (
          <SubmitButton variant="secondary" name="intent" value="reactivate" pendingText="Reactivating…">
            Reactivate
          </SubmitButton>
        ) : (
          <SubmitButton variant="secondary" name="intent" value="deactivate" pendingText="Deactivating…" disabled={user.isSelf} title={user.isSelf ? "You cannot deactivate yourself." : "Ends their sessions; they cannot sign in until reactivated."}>
            Deactivate
          </SubmitButton>
        )}
      </div>
      <div className="space-y-2 rounded-md border border-danger/40 p-3">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={confirmDelete} onChange={(e) => setConfirmDelete(e.target.checked)} disabled={user.isSelf} className="size-4 accent-[var(--danger)]" />
          Delete {user.email}: their sessions, API tokens and project memberships go too.
        </label>
        <SubmitButton variant="danger" name="intent" value="delete" pendingText="Deleting…" disabled={!confirmDelete || user.isSelf} title={user.isSelf ? "You cannot delete yourself." : undefined}>
          Delete user
        </SubmitButton>
      </div>
    </form>
  );
}
