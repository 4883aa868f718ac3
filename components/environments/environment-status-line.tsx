"use client";

import { formatDateTime } from "@/components/projects/format";
import type { ProjectOverview } from "@/lib/environments/overview";
import { DeployFailedNote, RedeployToApply, statusText } from "./environment-status";
import { ResumeControl, type PauseFacts } from "./pause-control";
import { useProjectOverview } from "./use-project-overview";

/**
 * "Active", "Running: Redeploy staging", "Paused by Ann on … · Resume", "Last deploy failed —
 * serving 1a2b3c4": follows the project's events, like the buttons below it. `pause`: who paused
 * it (the server's render, again after each activity); `resumeDisabledReason`: why this user
 * cannot Resume.
 */
export function EnvironmentStatusLine({
  projectId,
  environmentName,
  initial,
  pause = null,
  resumeDisabledReason,
}: {
  projectId: string;
  environmentName: string;
  initial: ProjectOverview;
  pause?: PauseFacts | null;
  resumeDisabledReason?: string;
}) {
  const { data } = useProjectOverview(projectId, initial, environmentName);
  const env = data.environments.find((e) => e.name === environmentName);
  return (
    <>
      <span aria-live="polite" data-testid="environment-status">
        {env ? statusText(env) : "Deleted"}
      </span>
      {env?.paused && !env.busy ? <ResumeControl key={pause?.at ?? "paused"} projectId={projectId} environment={environmentName} pause={pause} disabledReason={resumeDisabledReason} /> : null}
      {env?.lastDeployFailure ? <DeployFailedNote projectId={projectId} failure={env.lastDeployFailure} /> : null}
      {env ? <RedeployToApply env={env} what="variables" /> : null}
      {env ? <RedeployToApply env={env} what="settings" /> : null}
    </>
  );
}

/** The Details panel's "Deployed" and "Deployed at": the same live overview as the header, so both change together. */
export function DeployedRows({ projectId, environmentName, initial }: { projectId: string; environmentName: string; initial: ProjectOverview }) {
  const { data } = useProjectOverview(projectId, initial, environmentName);
  const env = data.environments.find((e) => e.name === environmentName);
  const commit = env?.deployedCommit ?? null;
  return (
    <>
      <dt className="text-muted">Deployed</dt>
      <dd data-testid="deployed-commit">{commit ? <code>{commit.slice(0, 12)}</code> : "Not deployed"}</dd>
      {env?.deployedAt ? (
        <>
          <dt className="text-muted">Deployed at</dt>
          <dd>{formatDateTime(new Date(env.deployedAt))}</dd>
        </>
      ) : null}
    </>
  );
}
