// Benchmark (issue 6): laying out the hierarchy graph of 1,000 environments (4 active, 996
// inactive under 50 parents), folded and unfolded, as the server does. Run: npm run bench:hierarchy
import { layoutHierarchy, type HierarchyEnvironment } from "@/lib/topology/hierarchy";

const envs: HierarchyEnvironment[] = [
  { id: "master", name: "master", title: "Production", type: "production", status: "active", parentId: null, busy: null },
  { id: "staging", name: "staging", title: "Staging", type: "staging", status: "active", parentId: "master", busy: null },
];
for (let i = 0; i < 998; i++) {
  envs.push({ id: `f${i}`, name: `feature-${i}`, title: `Feature ${i}`, type: "development", status: i < 2 ? "active" : "inactive", parentId: i < 50 ? "staging" : `f${i % 50}`, busy: null });
}
for (const expandInactive of [false, true]) {
  const times: number[] = [];
  for (let r = 0; r < 50; r++) {
    const t0 = performance.now();
    layoutHierarchy(envs, { expandInactive });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`1,000 environments, ${expandInactive ? "every inactive one shown" : "inactive folded"}: median ${times[25]!.toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms (budget 200 ms)`);
}
