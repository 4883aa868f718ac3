// A worker thread that lays topology graphs out with elkjs for the server: a graph built to be
// slow to lay out (a services.yaml of thousands of services) costs this thread's time, never the
// event loop's. topology-layout.ts runs it through lib/off-thread.ts, with a time budget.
import { parentPort } from "node:worker_threads";
import ELK from "elkjs/lib/elk.bundled.js";

const elk = new ELK();

// Loaded and warmed up (elkjs's first layout compiles most of it): tasks' budgets start now.
await elk.layout({ id: "warm-up", children: [{ id: "a", width: 1, height: 1 }, { id: "b", width: 1, height: 1 }], edges: [{ id: "e", sources: ["a"], targets: ["b"] }] });
// Tasks are taken only now (a port holds its messages until it has a listener): no graph runs
// before "ready" starts its budget.
parentPort.on("message", async ({ id, input }) => {
  const out = await elk.layout(input.graph);
  const positions = {};
  for (const c of out.children ?? []) {
    positions[c.id] = { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? input.width, h: c.height ?? input.height };
    for (const cc of c.children ?? []) positions[cc.id] = { x: cc.x ?? 0, y: cc.y ?? 0, w: input.width, h: input.height };
  }
  parentPort.postMessage({ id, output: positions });
});
parentPort.postMessage({ ready: true });
