"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { Alert } from "@/components/ui/alert";
import { ConfirmSubmit } from "@/components/ui/confirm-submit";
import { DisabledButton } from "@/components/ui/disabled-button";
import { rollbackAction } from "@/lib/actions/run-now-actions";
import type { DeploymentView } from "@/lib/environments/deployments";
import { formatDateTime } from "@/components/projects/format";
import { SidePanel } from "./side-panel";

/** In UTC, as every page shows times: the same text on the server and in any browser, so hydration agrees. */
const when = (iso: string) => formatDateTime(new Date(iso));

function RollbackForm({ projectId, environment, deployment }: { projectId: string; environment: string; deployment: DeploymentView }) {
  const [state, action] = useActionState(rollbackAction, null);
  const router = useRouter();
  useEffect(() => {
    if (state?.ok) router.refresh();
  }, [state, router]);
  const short = deployment.commit.slice(0, 7);
  return (
    <form action={action} className="mt-1 space-y-2">
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="environment" value={environment} />
      <input type="hidden" name="deploymentId" value={deployment.id} />
      {deployment.rollBack.allowed ? (
        <ConfirmSubmit
          className="px-2.5 py-1 text-xs"
          label={`Roll back to ${short}`}
          question={`Serve ${short} again? Its kept build is switched to without building; data stays as it is. Redeploy returns to the branch's head.`}
          confirm="Roll back"
          pendingText="Queueing…"
        >
          Roll back
        </ConfirmSubmit>
      ) : deployment.current ? null : (
        <DisabledButton reason={deployment.rollBack.reason}>Roll back</DisabledButton>
      )}
      {state?.ok ? <QueuedNotice key={state.data.activityId} projectId={projectId} activityId={state.data.activityId} what={`Roll back to ${short}`} inDialog={false} /> : null}
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
    </form>
  );
}

/**
 * The environment's last deployments, newest first: commit, when, what made it and who, how long
 * it took; Roll back to an earlier one (its kept build, no build), or why not.
 */
export function DeploymentsPanel({ projectId, environment, deployments }: { projectId: string; environment: string; deployments: DeploymentView[] }) {
  return (
    <SidePanel id="env-deployments" title="Deployments">
      {deployments.length === 0 ? (
        <p className="text-muted">Nothing deployed yet.</p>
      ) : (
        <ol className="space-y-3" data-testid="deployments">
          {deployments.map((d) => (
            <li key={d.id} data-testid={`deployment-${d.commit.slice(0, 7)}`}>
              <div className="flex flex-wrap items-baseline gap-x-2">
                <code className="font-mono">{d.commit.slice(0, 7)}</code>
                {d.current ? <span className="rounded bg-accent-soft px-1.5 text-xs text-accent">serving</span> : null}
                <span className="text-xs text-muted">{when(d.at)}</span>
              </div>
              <p className="text-xs text-muted">
                {d.by ? `${d.by.what}${d.by.who ? ` by ${d.by.who}` : ""}` : "Deployed"} · build {d.buildReused ? "reused" : `${(d.buildMs / 1000).toFixed(1)} s`}, deploy {(d.deployMs / 1000).toFixed(1)} s
              </p>
              <RollbackForm projectId={projectId} environment={environment} deployment={d} />
            </li>
          ))}
        </ol>
      )}
    </SidePanel>
  );
}
