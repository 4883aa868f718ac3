"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, useSyncExternalStore, type ComponentType } from "react";
import type { ProjectOverview } from "@/lib/environments/overview";
import { hierarchyQuery } from "@/components/topology/hierarchy-query";
import { EnvironmentTree } from "./environment-tree";
import { useProjectOverview } from "./use-project-overview";

type PanelProps = { projectId: string; initial: ProjectOverview };

// The graph's code (React Flow) loads only when the graph is shown: the page stays light without it.
const loadGraph = () => import("@/components/topology/hierarchy-graph");

const GRAPH_PREFERENCE = "pwi.hierarchyGraph";
const CHANGED = "pwi-preference";

/** The remembered choice, read from localStorage (false on the server), kept in step across tabs. */
function subscribe(onChange: () => void) {
  window.addEventListener("storage", onChange);
  window.addEventListener(CHANGED, onChange);
  return () => {
    window.removeEventListener("storage", onChange);
    window.removeEventListener(CHANGED, onChange);
  };
}

/** The environment tree, and on request the hierarchy graph beside it (remembered in this browser). */
export function EnvironmentsView({ projectId, initial }: { projectId: string; initial: ProjectOverview }) {
  const graph = useSyncExternalStore(
    subscribe,
    () => localStorage.getItem(GRAPH_PREFERENCE) === "1",
    () => false,
  );
  const queryClient = useQueryClient();
  const { data: overview } = useProjectOverview(projectId, initial);
  // The graph's code and its layout are fetched together, as the pointer or focus reaches the
  // button (a click rarely waits for them), or when the graph is shown.
  const prepare = () => {
    void loadGraph();
    void queryClient.prefetchQuery(hierarchyQuery(projectId, overview, false));
  };
  // Held in state, not behind a Suspense fallback (next/dynamic's loading): React holds content
  // at least 300 ms behind a fallback it has shown, which the graph waited for at every show.
  const [Panel, setPanel] = useState<{ component: ComponentType<PanelProps> } | { error: string } | null>(null);
  useEffect(() => {
    if (!graph || Panel) return;
    let current = true;
    void queryClient.prefetchQuery(hierarchyQuery(projectId, overview, false)); // a remembered graph: beside its code too
    loadGraph().then(
      (m) => current && setPanel({ component: m.HierarchyPanel }),
      (err: unknown) => current && setPanel({ error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      current = false;
    };
  }, [graph, Panel, queryClient, projectId, overview]);
  const toggle = () => {
    if (!graph) prepare();
    localStorage.setItem(GRAPH_PREFERENCE, graph ? "0" : "1");
    window.dispatchEvent(new Event(CHANGED));
  };
  return (
    <>
      <div className="mb-3 flex items-center gap-3">
        <h2 id="environments-heading" className="text-lg font-semibold">
          Environments
        </h2>
        <button
          type="button"
          onClick={toggle}
          onPointerEnter={prepare}
          onFocus={prepare}
          aria-pressed={graph}
          className={`ml-auto rounded-md border px-2.5 py-1 text-sm ${graph ? "border-accent bg-accent-soft text-foreground" : "border-border hover:bg-surface-muted"}`}
        >
          Hierarchy graph
        </button>
      </div>
      <div className={graph ? "grid items-start gap-4 lg:grid-cols-2" : ""}>
        <EnvironmentTree projectId={projectId} initial={initial} />
        {!graph ? null : Panel && "component" in Panel ? (
          <Panel.component projectId={projectId} initial={initial} />
        ) : Panel ? (
          <p role="alert" className="rounded-lg border border-border bg-surface p-4 text-sm text-danger">
            Could not load the hierarchy graph ({Panel.error}). Reload the page to try again.
          </p>
        ) : (
          <p role="status" className="rounded-lg border border-border bg-surface p-4 text-sm text-muted">
            Loading the hierarchy graph…
          </p>
        )}
      </div>
    </>
  );
}
