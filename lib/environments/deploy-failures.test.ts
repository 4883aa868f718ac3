import { describe, expect, it } from "vitest";
import { DEPLOYING_TYPES } from "@/lib/activity-kinds";
import { DEPLOYING_KINDS } from "./deploy-failures";

describe("the kinds a failed deploy is looked for in", () => {
  it("are the registry's deploying kinds, no more and no fewer", () => {
    expect([...DEPLOYING_KINDS].sort()).toEqual([...DEPLOYING_TYPES].sort());
    expect(DEPLOYING_KINDS).toContain("environment.push");
    expect(DEPLOYING_KINDS).not.toContain("environment.backup");
  });
});
