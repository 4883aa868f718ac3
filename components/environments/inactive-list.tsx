"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";
import type { EnvironmentView } from "@/lib/environments/overview";
import { EnvironmentRow, InactiveLoading } from "./environment-row";
import { useInactiveEnvironments } from "./use-project-overview";

const ROW_HEIGHT = 40;

/** The folded inactive environments, loaded when unfolded, in a scrolling list that draws only the rows in view. */
export function InactiveList({ projectId, shown }: { projectId: string; shown: readonly EnvironmentView[] }) {
  const { data, error, isPending } = useInactiveEnvironments(projectId);
  const shownIds = new Set(shown.map((e) => e.id));
  const rows = (data ?? []).filter((e) => !shownIds.has(e.id));
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the React Compiler is not enabled; the virtualizer re-renders us itself
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  if (error) return <p className="px-2 py-2 text-sm text-danger" role="alert">{error.message}</p>;
  if (isPending) return <InactiveLoading />;
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
