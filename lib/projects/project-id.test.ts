import { describe, expect, it } from "vitest";
import { deriveProjectId, nextFreeProjectId, projectIdProblem } from "./project-id";

describe("deriveProjectId", () => {
  it.each([
    ["Demo Store", "demo-store"],
    ["  Démo   Störe!! ", "demo-store"],
    ["123 Shop", "p-123-shop"],
    ["東京", "project"],
    ["A", "a-project"],
    ["new", "new-project"],
    ["x".repeat(80), "x".repeat(40)],
    ["ab " + "c".repeat(60), "ab-" + "c".repeat(37)],
  ])("%j → %j", (title, id) => {
    expect(deriveProjectId(title)).toBe(id);
    expect(projectIdProblem(deriveProjectId(title))).toBeNull();
  });
});

describe("projectIdProblem", () => {
  it.each(["Demo", "demo store", "-demo", "demo-", "demo--store", "9lives", "a", "x".repeat(41), "api", "new"])("refuses %j", (id) => {
    expect(projectIdProblem(id)).toMatch(/project id|reserved/);
  });
  it.each(["demo", "demo-store", "shop2", "a1"])("accepts %j", (id) => {
    expect(projectIdProblem(id)).toBeNull();
  });
});

describe("nextFreeProjectId", () => {
  it("returns the id itself when free", () => {
    expect(nextFreeProjectId("shop", new Set())).toBe("shop");
  });
  it("counts up past taken ids", () => {
    expect(nextFreeProjectId("shop", new Set(["shop", "shop-2", "shop-3"]))).toBe("shop-4");
  });
  it("stays within the maximum length", () => {
    const id = "x".repeat(40);
    const next = nextFreeProjectId(id, new Set([id]));
    expect(next).toHaveLength(40);
    expect(next.endsWith("-2")).toBe(true);
  });
});
