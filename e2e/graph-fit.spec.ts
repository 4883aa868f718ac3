import { expect, test, type Page } from "./support/test";
import { newProProjectWithPushedBranches } from "./support/pro-project";

/** Every node of a graph that lies (partly) outside the graph's frame, with where it is. */
async function nodesOutside(page: Page, frameSelector = '[role="figure"][aria-label="Environment hierarchy graph"] .react-flow', nodeSelector = ".react-flow__node") {
  return page.evaluate(([frameSelector, nodeSelector]) => {
    const frame = document.querySelector(frameSelector!)!.getBoundingClientRect();
    return [...document.querySelectorAll<HTMLElement>(nodeSelector!)]
      .map((n) => ({ label: n.getAttribute("aria-label") ?? n.dataset.id ?? n.dataset.testid, box: n.getBoundingClientRect() }))
      .filter(({ box }) => box.left < frame.left - 0.5 || box.top < frame.top - 0.5 || box.right > frame.right + 0.5 || box.bottom > frame.bottom + 0.5)
      .map(({ label, box }) => `${label} at ${Math.round(box.left)},${Math.round(box.top)}–${Math.round(box.right)},${Math.round(box.bottom)} (frame ${Math.round(frame.left)},${Math.round(frame.top)}–${Math.round(frame.right)},${Math.round(frame.bottom)})`);
  }, [frameSelector, nodeSelector]);
}

test("the hierarchy graph (the Global master, new branches and the \"N inactive\" group included) and the topology open and fit with every node in their frame, at 1440 and 390 px", async ({ browser }) => {
  test.setTimeout(180_000);
  // 22 branches pushed at once: the 20 newest are drawn (marked new), the 2 others folded into "2 inactive".
  const branches = Array.from({ length: 22 }, (_, i) => `feature-${String(i).padStart(2, "0")}`);
  const { projectId, context, page } = await newProProjectWithPushedBranches(browser, "fit", "Graph fit", branches);
  // Global master → Production → Staging → Integration → 20 new ones and "2 inactive": five levels, 25 nodes.
  const expected = 25;
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/projects/${projectId}`);
    const toggle = page.getByRole("button", { name: "Hierarchy graph" });
    // A press before the page is hydrated does nothing: press until the toggle says it is on.
    await expect(async () => {
      if ((await toggle.getAttribute("aria-pressed")) !== "true") await toggle.click();
      await expect(toggle).toHaveAttribute("aria-pressed", "true", { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    const graph = page.getByRole("figure", { name: "Environment hierarchy graph" });
    // Only nodes in view are drawn: all of them drawn means all of them in view.
    await expect(graph.locator(".react-flow__node")).toHaveCount(expected);
    await expect(graph.locator('.react-flow__node[aria-label="2 inactive environments"]')).toBeVisible();
    // One name per kind: Pro's parentless master is the Global master, as in the tree.
    await expect(graph.locator(".react-flow__node", { hasText: "master" }).first()).toContainText(/global master/i);
    await expect(graph.locator(".react-flow__node", { hasText: "· new" })).toHaveCount(20);
    await expect.poll(() => nodesOutside(page), { message: `opened at ${width} px` }).toEqual([]);

    // Moved away (zoomed in on one corner), Fit View brings every node back.
    for (let i = 0; i < 4; i++) await graph.getByRole("button", { name: "Zoom In" }).click();
    await expect.poll(async () => (await nodesOutside(page)).length).toBeGreaterThan(0);
    await graph.getByRole("button", { name: "Fit View" }).click();
    await expect(graph.locator(".react-flow__node")).toHaveCount(expected);
    await expect.poll(() => nodesOutside(page), { message: `after Fit View at ${width} px` }).toEqual([]);

    // The environment's topology (drawn without React Flow) too: fitted on open, and by Fit view after zooming in.
    await page.goto(`/projects/${projectId}/environments/integration/topology`);
    const topology = page.getByRole("figure", { name: "Topology graph" });
    const frame = '[role="figure"][aria-label="Topology graph"] > div';
    const boxes = '[role="figure"][aria-label="Topology graph"] [data-testid^="graph-node-"]';
    await expect(topology.locator("[data-graph-node]").first()).toBeVisible();
    await expect.poll(() => nodesOutside(page, frame, boxes), { message: `topology opened at ${width} px` }).toEqual([]);
    for (let i = 0; i < 4; i++) await topology.getByRole("button", { name: "Zoom in" }).click();
    await expect.poll(async () => (await nodesOutside(page, frame, boxes)).length).toBeGreaterThan(0);
    await topology.getByRole("button", { name: "Fit view" }).click();
    await expect.poll(() => nodesOutside(page, frame, boxes), { message: `topology after Fit view at ${width} px` }).toEqual([]);
  }
  await context.close();
});
