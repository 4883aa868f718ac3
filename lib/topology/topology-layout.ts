import "server-only";
import ELK from "elkjs/lib/elk.bundled.js";
import { stringify } from "yaml";
import type { EnvironmentTopology, TopologyNode } from "./environment-graph";
import type { SourceExcerpt } from "./source-excerpt";
import { TOPOLOGY_NODE_H as NODE_H, TOPOLOGY_NODE_W as NODE_W, type TopologyLayout } from "./topology-size";

let elk: InstanceType<typeof ELK> | null = null;

/** Lays the graph out top to bottom with elkjs, on the server; nodes of a Pro node group sit inside it. */
export async function layoutTopology(topology: EnvironmentTopology): Promise<TopologyLayout> {
  elk ??= new ELK();
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
  const out = await elk.layout(graph);
  const positions: TopologyLayout = {};
  for (const c of out.children ?? []) {
    positions[c.id] = { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? NODE_W, h: c.height ?? NODE_H };
    for (const cc of c.children ?? []) positions[cc.id] = { x: cc.x ?? 0, y: cc.y ?? 0, w: NODE_W, h: NODE_H };
  }
  return positions;
}

/** Each node's configuration as parsed (YAML), for the nodes whose file lines are not shown. */
export function parsedConfiguration(topology: EnvironmentTopology, excerpts: Record<string, SourceExcerpt>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of topology.nodes) if (n.source && !excerpts[n.id]) out[n.id] = stringify({ [n.source.key]: n.source.value });
  return out;
}
