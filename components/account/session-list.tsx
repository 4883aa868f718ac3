"use client";

import { useActionState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SubmitButton } from "@/components/ui/submit-button";
import { revokeSessionAction, signOutOtherSessionsAction } from "@/lib/actions/account-actions";

export interface SessionItem {
  id: string;
  isCurrent: boolean;
  device: string;
  clientAddress: string;
  createdAt: string;
  lastSeenAt: string;
}

export function SessionList({ sessions }: { sessions: SessionItem[] }) {
  const [state, action] = useActionState(signOutOtherSessionsAction, null);
  const others = sessions.filter((s) => !s.isCurrent).length;
  return (
    <div className="space-y-3">
      {state?.ok ? <Alert tone="success">{state.data.ended === 0 ? "No other session was open." : `Signed out ${state.data.ended} other session${state.data.ended === 1 ? "" : "s"}.`}</Alert> : null}
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
      <ul className="divide-y divide-border text-sm" aria-label="Your sessions">
        {sessions.map((s) => (
          <li key={s.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2">
            <span className="font-medium">{s.device}</span>
            {s.isCurrent ? <span className="rounded bg-accent-soft px-1.5 py-0.5 text-xs font-medium text-accent">This browser</span> : null}
            <span className="text-xs text-muted">{s.clientAddress || "unknown address"}</span>
            <span className="text-xs text-muted">signed in {s.createdAt}</span>
            <span className="text-xs text-muted">last seen {s.lastSeenAt}</span>
            <span className="ml-auto">{s.isCurrent ? null : <RevokeSessionButton sessionId={s.id} device={s.device} />}</span>
          </li>
        ))}
      </ul>
      <form action={action}>
        <SubmitButton variant="secondary" disabled={others === 0} pendingText="Signing out…" title={others === 0 ? "No other session is open." : undefined}>
          Sign out everywhere else
        </SubmitButton>
      </form>
    </div>
  );
}

function RevokeSessionButton({ sessionId, device }: { sessionId: string; device: string }) {
  const [state, action] = useActionState(revokeSessionAction, null);
  return (
    <form action={action} className="inline-flex items-center gap-2">
      <input type="hidden" name="sessionId" value={sessionId} />
      <Button type="submit" variant="ghost" className="text-danger" aria-label={`Sign out ${device}`}>
        Sign out
      </Button>
      {state && !state.ok ? <span className="text-sm text-danger">{state.error}</span> : null}
    </form>
  );
}
