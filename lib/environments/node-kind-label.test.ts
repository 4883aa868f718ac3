import { describe, expect, it } from "vitest";
import { nodeKindLabel } from "./node-kind-label";

describe("nodeKindLabel", () => {
  it("calls a Pro project's parentless master the Root, not Integration", () => {
    expect(nodeKindLabel({ type: "development", parentId: null })).toBe("Root");
  });
  it("names every other environment by its type", () => {
    expect(nodeKindLabel({ type: "production", parentId: "root" })).toBe("Production");
    expect(nodeKindLabel({ type: "staging", parentId: "prod" })).toBe("Staging");
    expect(nodeKindLabel({ type: "development", parentId: "staging" })).toBe("Integration");
  });
  it("keeps a Starter project's parentless master Production", () => {
    expect(nodeKindLabel({ type: "production", parentId: null })).toBe("Production");
  });
});
