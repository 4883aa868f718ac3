"use client";

import { useSyncExternalStore } from "react";
import type { ProjectOverview } from "@/lib/environments/overview";
import dynamic from "next/dynamic";
import { EnvironmentTree } from "./environment-tree";

// The graph's code (React Flow) loads only when the graph is shown: the page stays light without it.
const loadGraph = () => import("@/components/topology/hierarchy-graph");
const HierarchyPanel = dynamic(() => loadGraph().then((m) => m.HierarchyPanel), {
  ssr: false,
  loading: () => (
    <p role="status" className="rounded-lg border border-border bg-surface p-4 text-sm text-muted">
      Loading the hierarchy graph…
    </p>
  ),
});

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
  const toggle = () => {
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
          // Fetched as the pointer or focus reaches the button, so a click rarely waits for it.
          onPointerEnter={() => void loadGraph()}
          onFocus={() => void loadGraph()}
          aria-pressed={graph}
          className={`ml-auto rounded-md border px-2.5 py-1 text-sm ${graph ? "border-accent bg-accent-soft text-foreground" : "border-border hover:bg-surface-muted"}`}
        >
          Hierarchy graph
        </button>
      </div>
      <div className={graph ? "grid items-start gap-4 lg:grid-cols-2" : ""}>
        <EnvironmentTree projectId={projectId} initial={initial} />
        {graph ? <HierarchyPanel projectId={projectId} initial={initial} /> : null}
      </div>
    </>
  );
}
