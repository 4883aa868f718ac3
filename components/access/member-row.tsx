"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { SubmitButton } from "@/components/ui/submit-button";
import { removeProjectMemberAction, updateProjectMemberAction } from "@/lib/actions/member-actions";
import { RoleFields, type Roles } from "./role-fields";

export interface MemberView {
  userId: string;
  name: string | null;
  email: string;
  roles: Roles;
}

export function MemberRow({ projectId, member, canManage, isSelf }: { projectId: string; member: MemberView; canManage: boolean; isSelf: boolean }) {
  const [saved, save] = useActionState(updateProjectMemberAction, null);
  const [removed, remove] = useActionState(removeProjectMemberAction, null);
  const error = (saved && !saved.ok && saved.error) || (removed && !removed.ok && removed.error);
  const who = member.name || member.email;
  return (
    <li className="rounded-md border border-border p-3" aria-label={who}>
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <p>
          <span className="font-medium">{who}</span>
          {isSelf ? <span className="text-muted"> (you)</span> : null}
          <span className="ml-2 text-sm text-muted">{member.email}</span>
        </p>
        {canManage ? (
          <form action={remove}>
            <input type="hidden" name="projectId" value={projectId} />
            <input type="hidden" name="userId" value={member.userId} />
            <Button type="submit" variant="ghost" className="text-danger" aria-label={`Remove ${who}`}>
              Remove
            </Button>
          </form>
        ) : null}
      </div>
      <form action={save} className="grid items-end gap-3 sm:grid-cols-[repeat(4,minmax(0,1fr))_auto]">
        <input type="hidden" name="projectId" value={projectId} />
        <input type="hidden" name="userId" value={member.userId} />
        <RoleFields idPrefix={`m-${member.userId}`} initial={member.roles} disabled={!canManage} />
        {canManage ? <SubmitButton variant="secondary" pendingText="Saving…" aria-label={`Save roles of ${who}`}>Save</SubmitButton> : null}
      </form>
      {error ? (
        <p role="alert" className="mt-2 text-sm text-danger">
          {error}
        </p>
      ) : saved?.ok ? (
        <p role="status" className="mt-2 text-sm text-success">
          Roles saved.
        </p>
      ) : null}
    </li>
  );
}
