import { describe, expect, it } from "vitest";
import { treeOrder } from "./tree-order";

describe("treeOrder", () => {
  it("lists each parent before its children, depth first, keeping the given order of siblings", () => {
    const envs = [
      { id: "a-feature", parentId: "integration" },
      { id: "master", parentId: null },
      { id: "staging", parentId: "master" },
      { id: "integration", parentId: "master" },
      { id: "b-hotfix", parentId: "staging" },
      { id: "orphan", parentId: "gone" },
    ];
    expect(treeOrder(envs).map(({ env, depth }) => `${depth}:${env.id}`)).toEqual(["0:master", "1:staging", "2:b-hotfix", "1:integration", "2:a-feature", "0:orphan"]);
  });
});
