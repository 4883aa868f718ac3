"use client";

import type { ProjectOverview } from "@/lib/environments/overview";
import { RedeployToApply, statusText } from "./environment-status";
import { useProjectOverview } from "./use-project-overview";

/** "Active", "Running: Redeploy staging"…: follows the project's events, like the buttons below it. */
export function EnvironmentStatusLine({ projectId, environmentName, initial }: { projectId: string; environmentName: string; initial: ProjectOverview }) {
  const { data } = useProjectOverview(projectId, initial, environmentName);
  const env = data.environments.find((e) => e.name === environmentName);
  return (
    <>
      <span aria-live="polite" data-testid="environment-status">
        {env ? statusText(env) : "Deleted"}
      </span>
      {env ? <RedeployToApply env={env} what="variables" /> : null}
      {env ? <RedeployToApply env={env} what="settings" /> : null}
    </>
  );
}
