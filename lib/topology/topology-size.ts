/** The topology graph's node size (the server lays nodes out at this size; the browser draws them). Pure. */
export const TOPOLOGY_NODE_W = 220;
export const TOPOLOGY_NODE_H = 84;

/** Each node's box, by node id. */
export type TopologyLayout = Record<string, { x: number; y: number; w: number; h: number }>;
