"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { revokeInvitationAction } from "@/lib/actions/invitation-actions";

export interface PendingInvitation {
  id: string;
  email: string;
  detail: string;
  expiresAt: string;
}

/** Pending invitations with a Withdraw button each: of one project (`projectId`, its Access page) or of the whole instance. */
export function PendingInvitations({ invitations, projectId }: { invitations: PendingInvitation[]; projectId?: string }) {
  if (invitations.length === 0) return <p className="text-sm text-muted">No pending invitations.</p>;
  return (
    <ul className="divide-y divide-border text-sm" aria-label="Pending invitations">
      {invitations.map((i) => (
        <li key={i.id} className="flex flex-wrap items-center gap-3 py-2">
          <span className="font-medium">{i.email}</span>
          <span className="text-xs text-muted">{i.detail}</span>
          <span className="text-xs text-muted">expires {i.expiresAt}</span>
          <span className="ml-auto">
            <WithdrawButton id={i.id} email={i.email} projectId={projectId} />
          </span>
        </li>
      ))}
    </ul>
  );
}

function WithdrawButton({ id, email, projectId }: { id: string; email: string; projectId?: string }) {
  const [state, action] = useActionState(revokeInvitationAction, null);
  return (
    <form action={action} className="inline-flex items-center gap-2">
      <input type="hidden" name="invitationId" value={id} />
      {/* On a project's page the project's event stream shows the list without it (else the action renders the Users page again). */}
      {projectId ? <input type="hidden" name="projectId" value={projectId} /> : null}
      <Button type="submit" variant="ghost" className="text-danger" aria-label={`Withdraw the invitation for ${email}`}>
        Withdraw
      </Button>
      {state && !state.ok ? <span className="text-sm text-danger">{state.error}</span> : null}
    </form>
  );
}
