"use client";

import { useSearchParams } from "next/navigation";
import dynamic from "next/dynamic";
import { useState } from "react";
import type { EnvironmentView, ProjectOverview } from "@/lib/environments/overview";
import { GLOBAL_MASTER_NOTE, isGlobalMaster } from "@/lib/environments/rules";
import { EnvironmentRow, InactiveLoading } from "./environment-row";
import { useProjectOverview } from "./use-project-overview";

/** The folded list's code (the virtualiser) loads when it is unfolded. */
const InactiveList = dynamic(() => import("./inactive-list").then((m) => m.InactiveList), { loading: () => <InactiveLoading /> });

/**
 * Production → Staging → Integration branches (on Pro under master, the global master, which
 * says in one line why it never deploys); inactive leaves are folded on the server and listed
 * when unfolded, except branches made in the last hour (marked "new").
 */
export function EnvironmentTree({ projectId, initial }: { projectId: string; initial: ProjectOverview }) {
  const { data } = useProjectOverview(projectId, initial);
  // ?inactive=1 (the switchers' "N inactive" link) opens the page with them listed.
  const opened = useSearchParams().get("inactive") === "1";
  const [toggled, setToggled] = useState<boolean | null>(null);
  const showInactive = toggled ?? opened;
  const byParent = new Map<string | null, EnvironmentView[]>();
  for (const env of data.environments) byParent.set(env.parentId, [...(byParent.get(env.parentId) ?? []), env]);
  const inactiveCount = data.folded.reduce((sum, f) => sum + f.count, 0);

  function branch(parentId: string | null, depth: number): React.ReactNode {
    const children = byParent.get(parentId) ?? [];
    if (children.length === 0) return null;
    return (
      <ul className={depth === 0 ? "space-y-1" : "ml-5 space-y-1 border-l border-border pl-3"}>
        {children.map((env) => (
          <li key={env.id}>
            <EnvironmentRow projectId={projectId} env={env} />
            {isGlobalMaster(env) ? (
              <p className="px-2 pb-1 text-xs text-muted" data-testid="global-master-note">
                {GLOBAL_MASTER_NOTE}
              </p>
            ) : null}
            {branch(env.id, depth + 1)}
          </li>
        ))}
      </ul>
    );
  }

  return (
    <div className="rounded-lg border border-border bg-surface p-3">
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2 px-2 text-sm">
        <span className="text-muted">{data.usage.label}</span>
        {inactiveCount > 0 ? (
          <button type="button" className="text-accent hover:underline" onClick={() => setToggled(!showInactive)} aria-expanded={showInactive} aria-controls="inactive-environments">
            {showInactive ? "Hide" : "Show"} {inactiveCount} inactive
          </button>
        ) : null}
      </div>
      {branch(null, 0)}
      {showInactive && inactiveCount > 0 ? <InactiveList projectId={projectId} shown={data.environments} /> : null}
    </div>
  );
}
