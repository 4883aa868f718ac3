/**
 * The project's environments as a graph: Production ← Staging ← Integration ← children,
 * laid out as a tidy tree in one pass (O(n): 1,000 environments in a few milliseconds, on
 * the server). Inactive environments fold into one "N inactive" node per parent unless
 * `expandInactive` (they may also come as counts alone: `folded`); a branch made in the last
 * hour (`isNew`) is drawn, as the tree shows it. Pure.
 */
import type { EnvironmentView } from "@/lib/environments/overview";

/** An environment as the graph needs it: the overview's, with its running activity in words. */
export type HierarchyEnvironment = Pick<EnvironmentView, "id" | "name" | "title" | "type" | "status" | "parentId"> & { busy: string | null; isNew?: boolean };

export interface HierarchyNode {
  id: string;
  kind: "environment" | "inactive-group";
  x: number;
  y: number;
  environment?: HierarchyEnvironment;
  /** For an inactive group: how many, and under which parent. */
  count?: number;
  parentId?: string | null;
}

export interface HierarchyLayout {
  nodes: HierarchyNode[];
  edges: { id: string; source: string; target: string }[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 64;
const GAP_X = 24;
const GAP_Y = 56;

export function layoutHierarchy(
  environments: readonly HierarchyEnvironment[],
  /** `folded`: inactive environments counted but not given, by parent id (the overview's folded counts), added to that parent's group. */
  options: { expandInactive: boolean; folded?: ReadonlyMap<string | null, number> },
): HierarchyLayout {
  const children = new Map<string | null, HierarchyEnvironment[]>();
  const ids = new Set(environments.map((e) => e.id));
  for (const e of environments) {
    const parent = e.parentId && ids.has(e.parentId) ? e.parentId : null;
    const list = children.get(parent);
    if (list) list.push(e);
    else children.set(parent, [e]);
  }
  const hasLiveDescendant = new Map<string, boolean>();
  const live = (e: HierarchyEnvironment): boolean => {
    const known = hasLiveDescendant.get(e.id);
    if (known !== undefined) return known;
    const result = (children.get(e.id) ?? []).some((c) => c.status !== "inactive" || live(c));
    hasLiveDescendant.set(e.id, result);
    return result;
  };

  const nodes: HierarchyNode[] = [];
  const edges: HierarchyLayout["edges"] = [];
  let nextX = 0; // the next free column for a leaf
  let maxDepth = 0;

  // Depth-first: leaves take the next column, a parent sits centred over its children.
  const place = (e: HierarchyEnvironment, depth: number): number => {
    maxDepth = Math.max(maxDepth, depth);
    const kids = children.get(e.id) ?? [];
    const shown = options.expandInactive ? kids : kids.filter((k) => k.status !== "inactive" || k.isNew || live(k));
    const folded = kids.length - shown.length + (options.expandInactive ? 0 : (options.folded?.get(e.id) ?? 0));
    const xs: number[] = [];
    for (const k of shown) {
      xs.push(place(k, depth + 1));
      edges.push({ id: `${e.id}->${k.id}`, source: e.id, target: k.id });
    }
    if (folded > 0) {
      const groupId = `inactive:${e.id}`;
      const x = nextX;
      nextX += NODE_WIDTH + GAP_X;
      nodes.push({ id: groupId, kind: "inactive-group", x, y: (depth + 1) * (NODE_HEIGHT + GAP_Y), count: folded, parentId: e.id });
      edges.push({ id: `${e.id}->${groupId}`, source: e.id, target: groupId });
      xs.push(x);
      maxDepth = Math.max(maxDepth, depth + 1);
    }
    let x: number;
    if (xs.length === 0) {
      x = nextX;
      nextX += NODE_WIDTH + GAP_X;
    } else {
      x = (xs[0]! + xs.at(-1)!) / 2;
    }
    nodes.push({ id: e.id, kind: "environment", x, y: depth * (NODE_HEIGHT + GAP_Y), environment: e });
    return x;
  };
  const order = { production: 0, staging: 1, development: 2 } as const;
  const roots = [...(children.get(null) ?? [])].sort((a, b) => order[a.type] - order[b.type]);
  for (const root of roots) place(root, 0);
  return { nodes, edges, width: Math.max(0, nextX - GAP_X), height: (maxDepth + 1) * (NODE_HEIGHT + GAP_Y) - GAP_Y };
}
