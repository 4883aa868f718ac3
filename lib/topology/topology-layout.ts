import "server-only";
import path from "node:path";
import { stringify } from "yaml";
import { OffThreadFailure, offThread } from "@/lib/off-thread";
import type { EnvironmentTopology, TopologyNode } from "./environment-graph";
import type { SourceExcerpt } from "./source-excerpt";
import { TOPOLOGY_NODE_H as NODE_H, TOPOLOGY_NODE_W as NODE_W, type TopologyLayout } from "./topology-size";

/** Past this many nodes the graph is not drawn (the table lists them): no real project comes near. */
export const MAX_DRAWN_NODES = 300;
export const LAYOUT_BUDGET_MS = 3_000;
const LAYOUT_CACHE_SIZE = 100;
const laidOut = new Map<string, TopologyLayout>();

const layoutOffThread = offThread<{ graph: unknown; width: number; height: number }, TopologyLayout>(path.join(process.cwd(), "lib", "topology", "layout-worker.mjs"), {
  budgetMs: LAYOUT_BUDGET_MS,
  maxOldGenerationSizeMb: 256,
  idleMs: 15_000,
  messages: {
    overBudget: `laying it out took longer than ${LAYOUT_BUDGET_MS / 1000} s and was stopped`,
    restarted: "the layout was interrupted; reload the page",
    crashed: (detail) => `it could not be laid out${detail ? ` (${detail})` : ""}`,
  },
});

/**
 * Lays the graph out top to bottom with elkjs, on the server but off its event loop (a worker
 * thread, within a time budget); nodes of a Pro node group sit inside it. A graph too large or
 * too slow to lay out gets the reason instead, in words for the page.
 */
export async function layoutTopology(topology: EnvironmentTopology): Promise<{ positions: TopologyLayout } | { problem: string }> {
  if (topology.nodes.length > MAX_DRAWN_NODES) return { problem: `it has ${topology.nodes.length} nodes; graphs of more than ${MAX_DRAWN_NODES} are not drawn` };
  const groups = topology.nodes.filter((n) => n.kind === "node");
  const child = (n: TopologyNode) => ({ id: n.id, width: NODE_W, height: NODE_H });
  const graph = {
    id: "root",
    layoutOptions: { "elk.algorithm": "layered", "elk.direction": "DOWN", "elk.spacing.nodeNode": "28", "elk.layered.spacing.nodeNodeBetweenLayers": "48", "elk.hierarchyHandling": "INCLUDE_CHILDREN", "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES" },
    children: [
      ...topology.nodes.filter((n) => n.kind !== "node" && !n.group).map(child),
      ...groups.map((g) => ({
        id: g.id,
        layoutOptions: { "elk.padding": "[top=36,left=12,bottom=12,right=12]", "elk.algorithm": "layered", "elk.direction": "DOWN" },
        children: topology.nodes.filter((n) => n.group === g.id).map(child),
      })),
    ],
    edges: topology.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  // A deployment's graph does not change: the same graph is laid out once (per process).
  const key = JSON.stringify(graph);
  const known = laidOut.get(key);
  if (known) {
    laidOut.delete(key);
    laidOut.set(key, known); // most recently used last
    return { positions: known };
  }
  try {
    const positions = await layoutOffThread({ graph, width: NODE_W, height: NODE_H });
    laidOut.set(key, positions);
    if (laidOut.size > LAYOUT_CACHE_SIZE) laidOut.delete(laidOut.keys().next().value!);
    return { positions };
  } catch (err) {
    if (!(err instanceof OffThreadFailure)) throw err;
    return { problem: err.message };
  }
}

/** Each node's configuration as parsed (YAML), for the nodes whose file lines are not shown. */
export function parsedConfiguration(topology: EnvironmentTopology, excerpts: Record<string, SourceExcerpt>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of topology.nodes) if (n.source && !excerpts[n.id]) out[n.id] = stringify({ [n.source.key]: n.source.value });
  return out;
}
