import Link from "next/link";
import type { ReactNode } from "react";
import type { EnvironmentView } from "@/lib/environments/overview";
import { Spoken } from "@/components/ui/spoken";
import { RedeployToApply, StatusDot, TypeBadge, statusText } from "./environment-status";

/**
 * One environment in the tree or in the folded inactive list (`withParent`: one line, its parent named).
 * The link is named by what it shows, read as "Staging (staging), Staging, Active, Variables changed:
 * redeploy to apply, Last: …": each part ends with the comma a screen reader needs (`Spoken`).
 */
export function EnvironmentRow({ projectId, env, withParent = false }: { projectId: string; env: EnvironmentView; withParent?: boolean }) {
  // A Pro project's master holds the code and never deploys: "code only", not "Inactive".
  const status = statusText(env);
  const last = env.busy ? null : env.lastActivity;
  const changed = (["variables", "settings"] as const).filter((what) => env[`${what}Changed`] && !env.busy);
  // The parts after the names, in order: each but the last ends with a comma for screen readers.
  const failure = env.lastDeployFailure;
  const parts = [env.isNew && "new", "kind", "status", failure && "failed", env.cronAlert && "cron", ...changed, last && "last", env.deployedCommit && "commit"].filter(Boolean);
  const sep = (part: string) => (part === parts.at(-1) ? null : <Spoken>,</Spoken>);
  // In the inactive list (its heading says inactive) a phone shows the names only; the parent and the status stay in the link's name.
  const phoneSpoken = withParent ? "max-sm:-ml-3 max-sm:text-[0px]" : "";
  return (
    <Link
      href={`/projects/${projectId}/environments/${env.name}`}
      className={`flex items-center gap-x-3 gap-y-1 rounded-md px-2 py-1.5 hover:bg-surface-muted ${withParent ? "h-9 flex-nowrap overflow-hidden" : "flex-wrap"}`}
    >
      <StatusDot env={env} />
      <span className={`truncate font-medium ${withParent ? "max-w-[55%] shrink-0" : ""}`}>{env.title}</span>
      <span className="min-w-0 truncate font-mono text-xs text-muted">
        <Spoken>(</Spoken>
        {env.name}
        <Spoken>),</Spoken>
      </span>
      {env.isNew ? <NewMark after={sep("new")} /> : null}
      {withParent && env.parentName ? (
        <span className={`shrink-0 text-xs text-muted ${phoneSpoken}`}>
          from {env.parentName}
          {sep("kind")}
        </span>
      ) : (
        <TypeBadge env={env} after={sep("kind")} />
      )}
      <span className={`shrink-0 text-xs text-muted ${phoneSpoken}`}>
        {status}
        {sep("status")}
      </span>
      {failure ? (
        // The row is a link: the failed deploy's log is one click further, in the environment's header.
        <span className="shrink-0 rounded-full bg-danger-soft px-2 py-0.5 text-xs font-medium text-danger" data-testid="row-deploy-failed">
          Last deploy failed — {failure.servingCommit ? `serving ${failure.servingCommit.slice(0, 7)}` : "nothing is served"}
          {sep("failed")}
        </span>
      ) : null}
      {env.cronAlert ? (
        <span className="shrink-0 rounded-full bg-danger-soft px-2 py-0.5 text-xs font-medium text-danger" title={env.cronAlert} data-testid="row-cron-alert">
          {/failed/.test(env.cronAlert) ? "Cron failing" : "Cron missed a run"}
          <Spoken>: {env.cronAlert.replace(/\.$/, "")}</Spoken>
          {sep("cron")}
        </span>
      ) : null}
      {changed.map((what) => (
        <RedeployToApply key={what} env={env} what={what} short after={<Spoken>: redeploy to apply{sep(what) ? "," : ""}</Spoken>} />
      ))}
      {last ? (
        <span className={`truncate text-xs ${last.result === "failure" ? "text-danger" : "text-muted"}`}>
          <span aria-hidden>· </span>Last: {last.description}
          {last.result === "failure" ? " (failed)" : last.state === "cancelled" ? " (cancelled)" : ""}
          {sep("last")}
        </span>
      ) : null}
      {env.deployedCommit ? (
        <code className="ml-auto text-xs text-muted">
          <Spoken>deployed </Spoken>
          {env.deployedCommit.slice(0, 7)}
        </code>
      ) : null}
    </Link>
  );
}

/** "new": a branch made in the last hour (in words, not colour alone). */
export function NewMark({ after }: { after?: ReactNode }) {
  return (
    <span className="shrink-0 rounded-full border border-accent/50 bg-accent-soft px-1.5 text-xs font-medium text-accent" title="Made in the last hour">
      new
      {after}
    </span>
  );
}

/** What the folded inactive list shows while its code or its environments load. */
export function InactiveLoading() {
  return (
    <p className="px-2 py-2 text-sm text-muted" role="status">
      Loading the inactive environments…
    </p>
  );
}
