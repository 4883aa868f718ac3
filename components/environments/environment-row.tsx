import Link from "next/link";
import type { EnvironmentView } from "@/lib/environments/overview";
import { isGlobalMaster, kindLabel } from "@/lib/environments/rules";
import { RedeployToApply, StatusDot, TypeBadge, statusText } from "./environment-status";

/** One environment in the tree or in the folded inactive list (`withParent`: one line, its parent named). */
export function EnvironmentRow({ projectId, env, withParent = false }: { projectId: string; env: EnvironmentView; withParent?: boolean }) {
  // A Pro project's master holds the code and never deploys: "code only", not a greyed "Inactive".
  // A branch just made is not greyed either: it is what the user came to find.
  const globalMaster = isGlobalMaster(env);
  const status = statusText(env);
  return (
    <Link
      href={`/projects/${projectId}/environments/${env.name}`}
      className={`flex items-center gap-x-3 gap-y-1 rounded-md px-2 py-1.5 hover:bg-surface-muted ${withParent ? "h-9 flex-nowrap overflow-hidden" : "flex-wrap"} ${env.status === "inactive" && !globalMaster && !env.isNew ? "opacity-60" : ""}`}
      aria-label={`${env.title} (${env.name}), ${globalMaster ? `${kindLabel(env).toLowerCase()}, ` : ""}${status}${env.isNew ? ", new" : ""}${withParent && env.parentName ? `, from ${env.parentName}` : ""}${env.variablesChanged && !env.busy ? ", variables changed: redeploy to apply" : ""}${env.settingsChanged && !env.busy ? ", settings changed: redeploy to apply" : ""}`}
    >
      <StatusDot env={env} />
      <span className={`truncate font-medium ${withParent ? "max-w-[55%] shrink-0" : ""}`}>{env.title}</span>
      <span className="min-w-0 truncate font-mono text-xs text-muted">{env.name}</span>
      {env.isNew ? <NewMark /> : null}
      {/* In the inactive list (its heading says inactive) a phone keeps the names; the parent and status are in the link's label. */}
      {withParent && env.parentName ? (
        <span className="hidden shrink-0 text-xs text-muted sm:inline">from {env.parentName}</span>
      ) : (
        <TypeBadge env={env} />
      )}
      <span className={`shrink-0 text-xs text-muted ${withParent ? "hidden sm:inline" : ""}`}>{status}</span>
      <RedeployToApply env={env} what="variables" short />
      <RedeployToApply env={env} what="settings" short />
      {!env.busy && env.lastActivity ? (
        <span className={`truncate text-xs ${env.lastActivity.result === "failure" ? "text-danger" : "text-muted"}`}>
          · Last: {env.lastActivity.description}
          {env.lastActivity.result === "failure" ? " (failed)" : env.lastActivity.state === "cancelled" ? " (cancelled)" : ""}
        </span>
      ) : null}
      {env.deployedCommit ? <code className="ml-auto text-xs text-muted">{env.deployedCommit.slice(0, 7)}</code> : null}
    </Link>
  );
}

/** "new": a branch made in the last hour (in words, not colour alone). */
export function NewMark() {
  return (
    <span className="shrink-0 rounded-full border border-accent/50 bg-accent-soft px-1.5 text-xs font-medium text-accent" title="Made in the last hour">
      new
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
