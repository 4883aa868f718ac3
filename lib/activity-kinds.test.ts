import { describe, expect, it } from "vitest";
import { ACTIVITY_KINDS, ACTIVITY_TYPES, activityKind, DEPLOYING_TYPES, isActivityType, isProjectLevel, isRunnable } from "./activity-kinds";
import { ACTIVITY_REGISTRY } from "./activity-runners";

describe("the activity registry", () => {
  it("gives every kind a label, a parameter schema, its statuses and a runner", () => {
    expect(ACTIVITY_TYPES.length).toBeGreaterThanOrEqual(11);
    for (const type of ACTIVITY_TYPES) {
      const kind = ACTIVITY_KINDS[type];
      expect(kind.label, type).toMatch(/^[A-Z][a-z]+( [a-z-]+)*$/);
      expect(typeof kind.parameters.safeParse, type).toBe("function");
      if (kind.status) expect([kind.status.success, kind.status.failure].every((s) => ["active", "inactive"].includes(s)), type).toBe(true);
      // A recorded-only kind (every project-level one among them) never runs; every other kind has a runner.
      if (isProjectLevel(type)) expect(isRunnable(type), type).toBe(false);
      if (!isRunnable(type)) expect(ACTIVITY_REGISTRY.runners[type], type).toBeUndefined();
      else expect(typeof ACTIVITY_REGISTRY.runners[type]?.run, type).toBe("function");
    }
    expect(Object.keys(ACTIVITY_REGISTRY.runners).sort()).toEqual(ACTIVITY_TYPES.filter(isRunnable).sort());
  });

  it("derives what lists, filters and the topology need", () => {
    expect(activityKind("environment.synchronize")?.label).toBe("Sync");
    expect(activityKind("environment.backup")?.label).toBe("Snapshot");
    expect(activityKind("made.up")).toBeNull();
    expect(isActivityType("environment.push")).toBe(true);
    expect(isActivityType("toString")).toBe(false);
    expect(DEPLOYING_TYPES).toContain("environment.restore");
    expect(DEPLOYING_TYPES).not.toContain("environment.backup");
    expect(DEPLOYING_TYPES).not.toContain("environment.deactivate");
  });

  it("checks parameters: a push needs both commits, a snapshot its id", () => {
    expect(ACTIVITY_KINDS["environment.push"].parameters.safeParse({ before: "a".repeat(40) }).success).toBe(false);
    expect(ACTIVITY_KINDS["environment.push"].parameters.safeParse({ before: "a".repeat(40), after: "b".repeat(40) }).success).toBe(true);
    expect(ACTIVITY_KINDS["environment.backup"].parameters.safeParse({ snapshotId: "../../etc", replaces: null }).success).toBe(false);
    expect(ACTIVITY_KINDS["environment.redeploy"].parameters.safeParse({ extra: 1 }).success).toBe(false);
  });
});
