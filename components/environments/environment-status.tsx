import Link from "next/link";
import type { ReactNode } from "react";
import type { EnvironmentView } from "@/lib/environments/overview";
import { isGlobalMaster, kindLabel } from "@/lib/environments/rules";

/** The environment's kind, as the tree and the graph both say it (a Pro project's master: "Global master"); `after`: what a link's name reads next (`Spoken`). */
export function TypeBadge({ env, after }: { env: Pick<EnvironmentView, "name" | "type" | "parentId">; after?: ReactNode }) {
  const tone = env.type === "production" ? "border-accent/40 text-accent" : env.type === "staging" ? "border-focus/40 text-focus" : "border-border text-muted";
  return (
    <span className={`rounded-full border px-2 py-0.5 text-xs font-medium ${tone}`}>
      {kindLabel(env)}
      {after}
    </span>
  );
}

export function StatusDot({ env }: { env: Pick<EnvironmentView, "status" | "busy"> }) {
  if (env.busy || env.status === "dirty" || env.status === "deleting") {
    return <span aria-hidden className="inline-block size-2.5 animate-spin rounded-full border-2 border-accent border-r-transparent" />;
  }
  const color = env.status === "active" ? "bg-success" : "bg-muted/50";
  return <span aria-hidden className={`inline-block size-2.5 rounded-full ${color}`} />;
}

export function statusText(env: Pick<EnvironmentView, "status" | "busy" | "name" | "parentId" | "type"> & { paused?: boolean }): string {
  if (env.busy) return `${env.busy.state === "in_progress" ? "Running" : "Pending"}: ${env.busy.description}`;
  if (env.paused) return "Paused";
  // A Pro project's master holds the code and never deploys: "code only", not a greyed "Inactive".
  if (isGlobalMaster(env) && env.status === "inactive") return "Code only, never deploys";
  return { active: "Active", inactive: "Inactive", dirty: "Changing", deleting: "Deleting" }[env.status];
}

const CHANGED = {
  variables: { label: "Variables changed", why: "The last deploy ran with other variables: Redeploy applies the current ones." },
  settings: { label: "Settings changed", why: "The router enforces the settings of the last deploy: Redeploy applies the current ones." },
} as const;

/**
 * "Variables changed — redeploy to apply" / "Settings changed — …": what the environment runs
 * differs from what it would get now. Hidden while an activity runs on it (that activity's
 * deploy may apply them).
 */
export function RedeployToApply({ env, what, short = false, after }: { env: Pick<EnvironmentView, "variablesChanged" | "settingsChanged" | "busy">; what: keyof typeof CHANGED; short?: boolean; after?: ReactNode }) {
  if (!env[`${what}Changed`] || env.busy) return null;
  return (
    <span className="rounded-full bg-accent-soft px-2 py-0.5 text-xs font-medium text-accent" title={CHANGED[what].why} data-testid={`${what}-changed`}>
      {short ? CHANGED[what].label : `${CHANGED[what].label} — redeploy to apply`}
      {after}
    </span>
  );
}

/**
 * "Last deploy failed — serving 1a2b3c4 · Open its log": the environment's last finished deploy
 * failed and none succeeded since (the previous deployment, if any, is still served).
 */
export function DeployFailedNote({ projectId, failure }: { projectId: string; failure: NonNullable<EnvironmentView["lastDeployFailure"]> }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-x-1.5 rounded-full bg-danger-soft px-2 py-0.5 text-xs font-medium text-danger" title={failure.description} data-testid="deploy-failed">
      <span>
        Last deploy failed — {failure.servingCommit ? <>serving <code>{failure.servingCommit.slice(0, 7)}</code></> : "nothing is served"}
      </span>
      <Link href={`/projects/${projectId}/activities/${failure.activityId}`} className="underline">
        Open its log
      </Link>
    </span>
  );
}
