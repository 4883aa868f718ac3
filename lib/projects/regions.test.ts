import { describe, expect, it } from "vitest";
import { regionName } from "./regions";

describe("regionName", () => {
  it("shows the id and the place with no nested parentheses", () => {
    expect(regionName("us-3")).toBe("us-3 · United States (East)");
  });
  it("shows an unknown region's id alone", () => {
    expect(regionName("mars-1")).toBe("mars-1");
  });
});
