import { describe, expect, it } from "vitest";
import { layoutHierarchy, type HierarchyEnvironment } from "./hierarchy";

const env = (id: string, parentId: string | null, status: HierarchyEnvironment["status"] = "active", type: HierarchyEnvironment["type"] = "development"): HierarchyEnvironment => ({
  id,
  name: id,
  title: id,
  type,
  status,
  parentId,
  busy: null,
});

describe("the project hierarchy graph", () => {
  const envs = [env("master", null, "active", "production"), env("staging", "master", "active", "staging"), env("a", "staging"), env("b", "staging", "inactive"), env("c", "staging", "inactive"), env("d", "c")];

  it("folds inactive environments into one group per parent, unless one has a live child", () => {
    const layout = layoutHierarchy(envs, { expandInactive: false });
    const ids = layout.nodes.map((n) => n.id).sort();
    expect(ids).toEqual(["a", "c", "d", "inactive:staging", "master", "staging"].sort());
    expect(layout.nodes.find((n) => n.id === "inactive:staging")).toMatchObject({ kind: "inactive-group", count: 1 });
    expect(layout.edges.map((e) => e.id)).toContain("staging->inactive:staging");
  });

  it("draws a branch made in the last hour, as the tree shows it, and folds only the others", () => {
    const fresh = envs.map((e) => (e.status === "inactive" && !layoutHierarchy(envs, { expandInactive: false }).nodes.some((n) => n.id === e.id) ? { ...e, isNew: true } : e));
    const layout = layoutHierarchy(fresh, { expandInactive: false });
    expect(layout.nodes.some((n) => n.kind === "inactive-group")).toBe(false);
    expect(layout.nodes.filter((n) => n.kind === "environment")).toHaveLength(envs.length);
  });

  it("adds inactive environments that come as counts alone (the overview's folded ones) to their parent's group", () => {
    const layout = layoutHierarchy(envs, { expandInactive: false, folded: new Map([["staging", 995], ["master", 2]]) });
    expect(layout.nodes.find((n) => n.id === "inactive:staging")).toMatchObject({ kind: "inactive-group", count: 996 });
    expect(layout.nodes.find((n) => n.id === "inactive:master")).toMatchObject({ kind: "inactive-group", count: 2, parentId: "master" });
    // Unfolded, the counts are not groups: the environments themselves are given.
    expect(layoutHierarchy(envs, { expandInactive: true, folded: new Map([["staging", 995]]) }).nodes.some((n) => n.kind === "inactive-group")).toBe(false);
  });

  it("puts parents above and centred over their children, without overlaps", () => {
    const layout = layoutHierarchy(envs, { expandInactive: true });
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    expect(at.get("master")!.y).toBeLessThan(at.get("staging")!.y);
    expect(at.get("staging")!.y).toBeLessThan(at.get("a")!.y);
    const kids = ["a", "b", "c"].map((id) => at.get(id)!.x);
    expect(at.get("staging")!.x).toBe((Math.min(...kids) + Math.max(...kids)) / 2);
    const seen = new Set(layout.nodes.map((n) => `${n.x},${n.y}`));
    expect(seen.size).toBe(layout.nodes.length);
  });

  it("lays out 1,000 environments, and folds the inactive ones into a handful of groups", () => {
    const many = [env("master", null, "active", "production"), env("staging", "master", "active", "staging")];
    for (let i = 0; i < 998; i++) many.push(env(`f${i}`, i < 50 ? "staging" : `f${i % 50}`, i < 2 ? "active" : "inactive"));
    const layout = layoutHierarchy(many, { expandInactive: true });
    expect(layout.nodes).toHaveLength(1000);
    expect(layoutHierarchy(many, { expandInactive: false }).nodes.length).toBeLessThan(10);
  });
});
