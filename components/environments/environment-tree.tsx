"use client";

import Link from "next/link";
import { useState } from "react";
import type { EnvironmentView, ProjectOverview } from "@/lib/environments/overview";
import { RedeployToApply, StatusDot, TypeBadge, statusText } from "./environment-status";
import { useProjectOverview } from "./use-project-overview";

/** Production → Staging → Integration branches, with inactive ones lighter and folded away. */
export function EnvironmentTree({ projectId, initial }: { projectId: string; initial: ProjectOverview }) {
  const { data } = useProjectOverview(projectId, initial);
  const [showInactive, setShowInactive] = useState(false);
  const byParent = new Map<string | null, EnvironmentView[]>();
  for (const env of data.environments) byParent.set(env.parentId, [...(byParent.get(env.parentId) ?? []), env]);

  function branch(parentId: string | null, depth: number): React.ReactNode {
    const children = byParent.get(parentId) ?? [];
    const visible = children.filter((c) => showInactive || c.status !== "inactive" || hasLiveDescendant(c));
    if (visible.length === 0) return null;
    return (
      <ul className={depth === 0 ? "space-y-1" : "ml-5 space-y-1 border-l border-border pl-3"} role={depth === 0 ? undefined : "group"}>
        {visible.map((env) => (
          <li key={env.id}>
            <Link
              href={`/projects/${projectId}/environments/${env.name}`}
              className={`flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md px-2 py-1.5 hover:bg-surface-muted ${env.status === "inactive" ? "opacity-60" : ""}`}
              aria-label={`${env.title} (${env.name}), ${statusText(env)}${env.variablesChanged && !env.busy ? ", variables changed: redeploy to apply" : ""}${env.settingsChanged && !env.busy ? ", settings changed: redeploy to apply" : ""}`}
            >
              <StatusDot env={env} />
              <span className="font-medium">{env.title}</span>
              <span className="font-mono text-xs text-muted">{env.name}</span>
              <TypeBadge type={env.type} isRoot={env.parentId === null} />
              <span className="text-xs text-muted">{statusText(env)}</span>
              <RedeployToApply env={env} what="variables" short />
              <RedeployToApply env={env} what="settings" short />
              {!env.busy && env.lastActivity ? (
                <span className={`text-xs ${env.lastActivity.result === "failure" ? "text-danger" : "text-muted"}`}>
                  · Last: {env.lastActivity.description}
                  {env.lastActivity.result === "failure" ? " (failed)" : env.lastActivity.state === "cancelled" ? " (cancelled)" : ""}
                </span>
              ) : null}
              {env.deployedCommit ? <code className="ml-auto text-xs text-muted">{env.deployedCommit.slice(0, 7)}</code> : null}
            </Link>
            {branch(env.id, depth + 1)}
          </li>
        ))}
      </ul>
    );
  }

  function hasLiveDescendant(env: EnvironmentView): boolean {
    return (byParent.get(env.id) ?? []).some((c) => c.status !== "inactive" || hasLiveDescendant(c));
  }
  // Only what the toggle would actually show or hide: an inactive environment above active ones is always shown.
  const inactiveCount = data.environments.filter((e) => e.status === "inactive" && !hasLiveDescendant(e)).length;

  return (
    <div className="rounded-lg border border-border bg-surface p-3">
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2 px-2 text-sm">
        <span className="text-muted">{data.usage.label}</span>
        {inactiveCount > 0 ? (
          <button type="button" className="text-accent hover:underline" onClick={() => setShowInactive((v) => !v)} aria-expanded={showInactive}>
            {showInactive ? "Hide" : "Show"} {inactiveCount} inactive
          </button>
        ) : null}
      </div>
      {branch(null, 0)}
    </div>
  );
}
