import { expect, it } from "vitest";
import type { EnvironmentTopology } from "./environment-graph";
import { MAX_DRAWN_NODES, layoutTopology, parsedConfiguration } from "./topology-layout";

function topology(services: number): EnvironmentTopology {
  const node = (id: string, kind: "router" | "app" | "service") => ({ id, kind, label: id, facts: [] });
  const nodes = [node("router", "router"), node("app", "app"), ...Array.from({ length: services }, (_, i) => ({ ...node(`service:s${i}`, "service"), source: { file: ".magento/services.yaml", key: `s${i}`, value: { type: "redis:7.2" } } }))];
  const edges = [{ id: "router->app", source: "router", target: "app" }, ...Array.from({ length: services }, (_, i) => ({ id: `app->s${i}`, source: "app", target: `service:s${i}` }))];
  return { nodes, edges } as unknown as EnvironmentTopology;
}

it("lays a topology out off the event loop: every node gets a box, router above app above services", async () => {
  const layout = await layoutTopology(topology(3));
  if (!("positions" in layout)) throw new Error(layout.problem);
  expect(Object.keys(layout.positions).sort()).toEqual(["app", "router", "service:s0", "service:s1", "service:s2"]);
  expect(layout.positions.router!.y).toBeLessThan(layout.positions.app!.y);
  expect(layout.positions.app!.y).toBeLessThan(layout.positions["service:s0"]!.y);
});

it("a repository's services.yaml of thousands of services gets a sentence, not a stalled server", async () => {
  const started = performance.now();
  expect(await layoutTopology(topology(5_000))).toEqual({ problem: `it has 5002 nodes; graphs of more than ${MAX_DRAWN_NODES} are not drawn` });
  expect(performance.now() - started).toBeLessThan(100);
});

it("gives the parsed configuration only of nodes whose file lines are not shown", () => {
  const t = topology(2);
  expect(parsedConfiguration(t, { "service:s0": { file: ".magento/services.yaml", firstLine: 1, lines: ["s0:"] } as never })).toEqual({ "service:s1": "s1:\n  type: redis:7.2\n" });
});
