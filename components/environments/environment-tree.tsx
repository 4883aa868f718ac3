"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef, useState } from "react";
import type { EnvironmentView, ProjectOverview } from "@/lib/environments/overview";
import { RedeployToApply, StatusDot, TypeBadge, statusText } from "./environment-status";
import { useInactiveEnvironments, useProjectOverview } from "./use-project-overview";

/** Production → Staging → Integration branches; inactive leaves are folded on the server and listed when unfolded. */
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
      <ul className={depth === 0 ? "space-y-1" : "ml-5 space-y-1 border-l border-border pl-3"} role={depth === 0 ? undefined : "group"}>
        {children.map((env) => (
          <li key={env.id}>
            <EnvironmentRow projectId={projectId} env={env} />
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

function EnvironmentRow({ projectId, env, withParent = false }: { projectId: string; env: EnvironmentView; withParent?: boolean }) {
  return (
    <Link
      href={`/projects/${projectId}/environments/${env.name}`}
      className={`flex items-center gap-x-3 gap-y-1 rounded-md px-2 py-1.5 hover:bg-surface-muted ${withParent ? "h-9 flex-nowrap overflow-hidden" : "flex-wrap"} ${env.status === "inactive" ? "opacity-60" : ""}`}
      aria-label={`${env.title} (${env.name}), ${statusText(env)}${withParent && env.parentName ? `, from ${env.parentName}` : ""}${env.variablesChanged && !env.busy ? ", variables changed: redeploy to apply" : ""}${env.settingsChanged && !env.busy ? ", settings changed: redeploy to apply" : ""}`}
    >
      <StatusDot env={env} />
      <span className={`truncate font-medium ${withParent ? "max-w-[55%] shrink-0" : ""}`}>{env.title}</span>
      <span className="min-w-0 truncate font-mono text-xs text-muted">{env.name}</span>
      {/* In the inactive list (its heading says inactive) a phone keeps the names; the parent and status are in the link's label. */}
      {withParent && env.parentName ? <span className="hidden shrink-0 text-xs text-muted sm:inline">from {env.parentName}</span> : <TypeBadge type={env.type} isRoot={env.parentId === null} />}
      <span className={`shrink-0 text-xs text-muted ${withParent ? "hidden sm:inline" : ""}`}>{statusText(env)}</span>
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

const ROW_HEIGHT = 40;

/** The folded inactive environments, loaded when unfolded, in a scrolling list that draws only the rows in view. */
function InactiveList({ projectId, shown }: { projectId: string; shown: readonly EnvironmentView[] }) {
  const { data, error, isPending } = useInactiveEnvironments(projectId);
  const shownIds = new Set(shown.map((e) => e.id));
  const rows = (data ?? []).filter((e) => !shownIds.has(e.id));
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the React Compiler is not enabled; the virtualizer re-renders us itself
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  if (error) return <p className="px-2 py-2 text-sm text-danger" role="alert">{error.message}</p>;
  if (isPending) return <p className="px-2 py-2 text-sm text-muted" role="status">Loading the inactive environments…</p>;
  return (
    <div id="inactive-environments" className="mt-2 border-t border-border pt-2">
      <h3 className="px-2 pb-1 text-sm font-medium text-muted">Inactive ({rows.length})</h3>
      <div ref={scroller} className="max-h-96 overflow-y-auto" tabIndex={-1}>
        <ul aria-label="Inactive environments" className="relative" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => (
            <li key={rows[item.index]!.id} className="absolute inset-x-0" style={{ top: item.start, height: ROW_HEIGHT }}>
              <EnvironmentRow projectId={projectId} env={rows[item.index]!} withParent />
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
