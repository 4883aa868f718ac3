"use client";

import "@xyflow/react/dist/style.css";
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeHandle, type NodeProps, type ReactFlowInstance } from "@xyflow/react";
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import Link from "next/link";
import { fetchProjectOverview, useProjectOverview } from "@/components/environments/use-project-overview";
import type { ProjectOverview } from "@/lib/environments/overview";
import type { EnvironmentAction } from "@/lib/environments/rules";
import { NODE_HEIGHT, NODE_WIDTH, type HierarchyNode } from "@/lib/topology/hierarchy";
import { kindLabel } from "@/lib/environments/rules";
import { activatedNode } from "./graph-keys";
import { hierarchyQuery } from "./hierarchy-query";
import { queryKeys } from "@/components/query-keys";

const STATUS_TONE = { active: "border-success", inactive: "border-border opacity-60", dirty: "border-[#d97706]", deleting: "border-danger" } as const;

type CardData = { node: HierarchyNode; selected: boolean; onMenu: (name: string) => void };

function EnvironmentCard({ data }: NodeProps<Node<CardData>>) {
  const n = data.node;
  if (n.kind === "inactive-group") {
    return (
      <div className="h-full w-full overflow-hidden rounded-lg border-2 border-dashed border-border bg-surface px-3 py-1.5 text-xs leading-4 text-muted">
        <Handle type="target" position={Position.Top} className="!bg-muted" />
        <div className="font-semibold">{n.count} inactive</div>
        <div>Click to unfold them</div>
      </div>
    );
  }
  const e = n.environment!;
  return (
    <div className={`h-full w-full overflow-hidden rounded-lg border-2 bg-surface px-3 py-1.5 text-xs leading-4 shadow-sm ${STATUS_TONE[e.status]} ${e.busy ? "animate-pulse" : ""} ${data.selected ? "ring-2 ring-focus" : ""}`}>
      <Handle type="target" position={Position.Top} className="!bg-muted" />
      <div className="flex items-center gap-1">
        <span className="truncate font-semibold text-foreground">{e.title}</span>
        <span className="ml-auto text-[10px] uppercase text-muted">{kindLabel(e)}</span>
        <button
          type="button"
          className="nodrag rounded px-1 leading-none text-muted hover:bg-surface-muted hover:text-foreground"
          aria-label={`Actions for ${e.name}`}
          aria-haspopup="true"
          onClick={(event) => {
            event.stopPropagation(); // not the node's click, which opens the environment
            data.onMenu(e.name);
          }}
        >
          ⋯
        </button>
      </div>
      <div className="truncate font-mono text-muted">{e.name}</div>
      <div className="truncate text-muted">
        {e.busy ?? e.status}
        {e.isNew ? <span className="ml-1 font-semibold text-accent">· new</span> : null}
      </div>
      <Handle type="source" position={Position.Bottom} className="!bg-muted" />
    </div>
  );
}

const nodeTypes = { environment: EnvironmentCard };
/**
 * How the whole graph is fitted, on open, after a new layout and by the Fit View button: every
 * node, the "N inactive" groups and the nodes not drawn yet included (only what is in view is
 * drawn, so the others count with their declared size), never above 100 %.
 */
const FIT_ALL = { padding: 0.08, includeHiddenNodes: true, maxZoom: 1 } as const;
const HANDLES: NodeHandle[] = [
  { type: "target", position: Position.Top, x: NODE_WIDTH / 2 - 3, y: -3, width: 6, height: 6 },
  { type: "source", position: Position.Bottom, x: NODE_WIDTH / 2 - 3, y: NODE_HEIGHT - 3, width: 6, height: 6 },
];

/** Which environment a hierarchy node is, or null for an "N inactive" group. */
function environmentOf(node: Node): HierarchyNode["environment"] | null {
  return (node.data as { node: HierarchyNode }).node.environment ?? null;
}

/**
 * Production ← Staging ← Integration ← children, laid out on the server (the project page
 * stays light at 1,000 environments). It refreshes whenever the tree's data changes (every
 * second while something runs), so a pulse starts and stops with the activity. Clicking a
 * node (or Enter on it) opens the environment; its ⋯ button (or a right-click) shows its menu.
 */
export function HierarchyPanel({ projectId, initial }: { projectId: string; initial: ProjectOverview }) {
  const [showInactive, setShowInactive] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const router = useRouter();
  const flow = useRef<ReactFlowInstance | null>(null);
  // The parent whose "N inactive" group was clicked: once unfolded, the view moves to them.
  const unfoldedFrom = useRef<string | null>(null);
  const { data: overview } = useProjectOverview(projectId, initial);
  const { data, error } = useQuery({ ...hierarchyQuery(projectId, overview, showInactive), placeholderData: (previous) => previous });
  const layout = data?.layout;
  // The header counts what the graph's "N inactive" groups hold, so the two always agree.
  const folded = (layout?.nodes ?? []).reduce((sum, n) => sum + (n.kind === "inactive-group" ? (n.count ?? 0) : 0), 0);
  const nodes: Node[] = useMemo(
    () =>
      (layout?.nodes ?? []).map((n) => ({
        id: n.id,
        type: "environment",
        position: { x: n.x, y: n.y },
        data: { node: n, selected: n.environment?.name === selected, onMenu: setSelected } satisfies CardData,
        draggable: false,
        // Known size and handles: React Flow then draws only the nodes in view, without
        // first rendering every new node once to measure it (1,000 at a time when unfolding).
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        // …and counted as measured: otherwise React Flow fits only the nodes it has drawn, and a
        // fit (on open or from the Fit View button) waits for nodes out of view that it never draws.
        measured: { width: NODE_WIDTH, height: NODE_HEIGHT },
        handles: HANDLES,
        ariaLabel: n.kind === "inactive-group" ? `${n.count} inactive environments` : `${n.environment!.title} (${n.environment!.name}), ${n.environment!.busy ?? n.environment!.status}`,
      })),
    [layout, selected],
  );
  const edges: Edge[] = useMemo(() => (layout?.edges ?? []).map((e) => ({ id: e.id, source: e.source, target: e.target })), [layout]);
  // Every new layout is fitted whole (every visible node, the deepest included), except right after
  // an "N inactive" group was unfolded, when the view goes to what it showed (below).
  const fittedLayout = useRef<unknown>(null);
  useEffect(() => {
    if (!layout || unfoldedFrom.current || fittedLayout.current === layout) return;
    fittedLayout.current = layout;
    const frame = requestAnimationFrame(() => void flow.current?.fitView(FIT_ALL));
    return () => cancelAnimationFrame(frame);
  }, [layout]);
  useEffect(() => {
    const parent = unfoldedFrom.current;
    if (!parent || !layout || layout.nodes.some((n) => n.kind === "inactive-group" && n.parentId === parent)) return; // not unfolded yet
    fittedLayout.current = layout;
    unfoldedFrom.current = null;
    // Its first few children (the parent sits centred over all of them, maybe far away).
    const children = layout.edges.filter((e) => e.source === parent).slice(0, 3);
    const frame = requestAnimationFrame(() => void flow.current?.fitView({ nodes: children.map((e) => ({ id: e.target })), duration: 300, minZoom: 0.6, maxZoom: 1, includeHiddenNodes: true /* not drawn yet: their declared size counts */ }));
    return () => cancelAnimationFrame(frame);
  }, [layout]);
  const open = (node: Node | undefined) => {
    if (!node) return;
    const env = environmentOf(node);
    if (env) router.push(`/projects/${projectId}/environments/${env.name}`);
    else {
      unfoldedFrom.current = (node.data as CardData).node.parentId ?? null;
      setShowInactive(true);
    }
  };
  if (error) return <p className="text-sm text-danger">{error.message}</p>;
  if (!data) return <p className="rounded-lg border border-border bg-surface p-3 text-sm text-muted">Laying out the environments…</p>;
  return (
    <div className="space-y-2 rounded-lg border border-border bg-surface p-3">
      <div className="flex items-center justify-between px-1 text-sm">
        <span className="text-muted">{data.usage}</span>
        {showInactive || folded > 0 ? (
          <button type="button" className="text-accent hover:underline" onClick={() => setShowInactive((v) => !v)} aria-pressed={showInactive}>
            {showInactive ? "Fold inactive" : `Unfold ${folded} inactive`}
          </button>
        ) : null}
      </div>
      <div className="h-[420px] rounded-md border border-border" role="figure" aria-label="Environment hierarchy graph">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={FIT_ALL}
          onInit={(instance) => {
            // React Flow's own first fit can come before its viewport exists and be dropped; this one
            // comes once it does (the effect above may have run before the instance was known).
            flow.current = instance;
            void instance.fitView(FIT_ALL);
          }}
          minZoom={0.05}
          nodesConnectable={false}
          onNodeClick={(_, node) => open(node)}
          onKeyDown={(event) => {
            const id = activatedNode(event);
            if (id) open(nodes.find((n) => n.id === id));
          }}
          onNodeContextMenu={(event, node) => {
            const env = environmentOf(node);
            if (!env) return;
            event.preventDefault();
            setSelected(env.name);
          }}
          proOptions={{ hideAttribution: true }}
          onlyRenderVisibleElements
        >
          <Background />
          <Controls showInteractive={false} fitViewOptions={FIT_ALL} />
        </ReactFlow>
      </div>
      {selected ? (
        <NodeMenu projectId={projectId} environment={selected} />
      ) : (
        <p className="px-1 text-xs text-muted">Click an environment (or Tab to it and press Enter) to open it; its ⋯ button shows Branch, Merge and Sync.</p>
      )}
    </div>
  );
}

const MENU: EnvironmentAction[] = ["branch", "merge", "sync"];
const MENU_LABEL: Record<string, string> = { branch: "Branch", merge: "Merge", sync: "Sync" };

/** Branch, Merge and Sync for the selected environment, allowed or with the server's reason (the same rules as its buttons). */
function NodeMenu({ projectId, environment }: { projectId: string; environment: string }) {
  const { data } = useQuery({
    queryKey: queryKeys.overview(projectId, environment),
    queryFn: () => fetchProjectOverview(projectId, environment),
  });
  const env = data?.environments.find((e) => e.name === environment);
  return (
    <div className="rounded-md border border-border p-3 text-sm" role="region" aria-label={`Actions for ${environment}`}>
      <div className="mb-2 flex items-center gap-2">
        <strong>{env?.title ?? environment}</strong>
        <Link className="ml-auto text-accent hover:underline" href={`/projects/${projectId}/environments/${environment}`}>
          Open {environment}
        </Link>
      </div>
      {!env?.actions ? (
        <p className="text-xs text-muted">Loading its actions…</p>
      ) : (
        <ul className="space-y-1">
          {MENU.map((action) => {
            const p = env.actions![action];
            return (
              <li key={action} className="flex flex-wrap items-baseline gap-2">
                {p.allowed ? (
                  <Link className="rounded-md border border-border px-2 py-0.5 hover:bg-surface-muted" href={`/projects/${projectId}/environments/${environment}?action=${action}`}>
                    {MENU_LABEL[action]}…
                  </Link>
                ) : (
                  <>
                    <span className="rounded-md border border-border px-2 py-0.5 text-muted" aria-disabled="true">
                      {MENU_LABEL[action]}
                    </span>
                    <span className="text-xs text-muted">{p.reason}</span>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
