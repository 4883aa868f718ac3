import { describe, expect, it } from "vitest";
import { allowedActions, environmentNameProblem, isGlobalMaster, kindLabel, planUsage, possibleParents, startingBranch, typeLabel, type RuleContext, type RuleEnvironment } from "./rules";

const admin = { production: "admin", staging: "admin", development: "admin" } as const;
const env = (id: string, parentId: string | null, type: RuleEnvironment["type"], status: RuleEnvironment["status"] = "active"): RuleEnvironment => ({
  id,
  name: id,
  title: id === "master" ? "Production" : id[0]!.toUpperCase() + id.slice(1),
  parentId,
  type,
  status,
});

function starter(extra: RuleEnvironment[] = [], over: Partial<RuleContext> = {}): RuleContext {
  return {
    plan: "starter",
    environments: [env("master", null, "production"), env("staging", "master", "staging"), ...extra],
    busy: new Map(),
    roles: admin,
    ...over,
  };
}

const of = (ctx: RuleContext, id: string) => allowedActions(ctx.environments.find((e) => e.id === id)!, ctx);

describe("environment rules", () => {
  it("allows an admin everything that applies on an idle active environment", () => {
    const ctx = starter([env("feature", "staging", "development")]);
    const a = of(ctx, "feature");
    expect(a.branch).toEqual({ allowed: true });
    expect(a.merge).toEqual({ allowed: true });
    expect(a.sync).toEqual({ allowed: true });
    expect(a.redeploy).toEqual({ allowed: true });
    expect(a.deactivate).toEqual({ allowed: true });
    expect(a.delete).toEqual({ allowed: false, reason: "Only inactive environments can be deleted: deactivate it first." });
  });

  it("copies code or data only out of environments the user may see (data follows access)", () => {
    const roles = { production: "none", staging: "admin", development: "admin" } as const;
    const ctx = starter([env("feature", "staging", "development"), env("sleepy", "master", "staging", "inactive")], { roles });
    expect(of(ctx, "staging").sync).toEqual({ allowed: false, reason: "Sync copies the code and data of its parent Production, and you have no access to Production environments." });
    expect(of(ctx, "sleepy").activate).toEqual({ allowed: false, reason: "Activating copies the data of its parent Production, and you have no access to Production environments." });
    expect(of(ctx, "feature").sync).toEqual({ allowed: true });
    const noIntegration = starter([env("feature", "staging", "development")], { roles: { production: "admin", staging: "admin", development: "none" } });
    // Merge writes the parent (admin there) but reads the child: no access to Integration, no merge.
    expect(of(noIntegration, "feature").merge).toEqual({ allowed: false, reason: "Merging copies the code of Feature, and you have no access to Integration environments." });
  });

  it("says a busy environment is busy, not inactive, while its activity makes it dirty", () => {
    const ctx = starter([env("feature", "staging", "development", "dirty")], {
      busy: new Map([
        ["feature", { state: "in_progress", description: "Push to feature (abc1234)" }],
        ["staging", { state: "in_progress", description: "Redeploy staging" }],
      ]),
      environments: [env("master", null, "production"), env("staging", "master", "staging", "dirty"), env("feature", "staging", "development", "dirty"), env("child", "feature", "development")],
    });
    const busy = "Feature has a running activity: Push to feature (abc1234).";
    const a = of(ctx, "feature");
    for (const action of ["branch", "merge", "sync", "redeploy", "deactivate"] as const) expect(a[action], action).toEqual({ allowed: false, reason: busy });
    expect(of(ctx, "child").sync).toEqual({ allowed: false, reason: busy });
  });

  it("never deactivates or deletes Production, and fixes its title", () => {
    const a = of(starter(), "master");
    expect(a.deactivate).toEqual({ allowed: false, reason: "Production cannot be deactivated." });
    expect(a.delete.allowed).toBe(false);
    expect(a.edit).toEqual({ allowed: false, reason: "Production's title and parent are fixed." });
    expect(a.merge).toEqual({ allowed: false, reason: "Production has no parent to merge into." });
  });

  it("names the running activity that blocks an action, on this environment or its parent", () => {
    const ctx = starter([env("feature", "staging", "development")], {
      busy: new Map([["staging", { state: "in_progress", description: "Merge from fix-cart" }]]),
    });
    expect(of(ctx, "staging").branch).toEqual({ allowed: false, reason: "Staging has a running activity: Merge from fix-cart." });
    expect(of(ctx, "feature").merge).toEqual({ allowed: false, reason: "Staging has a running activity: Merge from fix-cart." });
    expect(of(ctx, "feature").redeploy).toEqual({ allowed: true });
  });

  it("enforces Starter's four active environments and names them", () => {
    const ctx = starter([env("a", "staging", "development"), env("b", "staging", "development"), env("c", "staging", "development", "inactive")]);
    expect(planUsage("starter", ctx.environments)).toMatchObject({ used: 4, limit: 4, label: "4 of 4 active environments" });
    expect(of(ctx, "c").activate).toEqual({
      allowed: false,
      reason: "Starter allows 4 active environments (master, staging, a, b): deactivate one first.",
    });
    const freed = starter([env("a", "staging", "development"), env("b", "staging", "development", "inactive"), env("c", "staging", "development", "inactive")]);
    expect(of(freed, "c").activate).toEqual({ allowed: true });
  });

  it("counts environments being changed (dirty) against the plan", () => {
    const ctx = starter([env("a", "staging", "development"), env("b", "staging", "development", "dirty"), env("c", "staging", "development", "inactive")]);
    expect(of(ctx, "c").activate.allowed).toBe(false);
  });

  it("on Pro, allows two active Integration environments and branching only from integration", () => {
    const pro: RuleContext = {
      plan: "pro",
      environments: [
        env("master", null, "development", "inactive"),
        env("production", "master", "production"),
        env("staging", "production", "staging"),
        env("integration", "staging", "development"),
        env("one", "integration", "development"),
        env("two", "integration", "development", "inactive"),
      ],
      busy: new Map(),
      roles: admin,
    };
    expect(of(pro, "production").branch).toEqual({ allowed: false, reason: "On Pro, branch from integration or its children, not from Production." });
    expect(of(pro, "staging").branch.allowed).toBe(false);
    expect(of(pro, "master").branch.allowed).toBe(false);
    expect(of(pro, "integration").branch).toEqual({ allowed: true });
    expect(of(pro, "two").activate).toEqual({
      allowed: false,
      reason: "Pro allows 2 active Integration environments (integration, one): deactivate one first.",
    });
  });

  it("on Pro, says master is the code-only global master: no Activate, no Redeploy, and Production's Merge and Sync say it is the top", () => {
    const pro: RuleContext = {
      plan: "pro",
      environments: [
        { ...env("master", null, "development", "inactive"), title: "Master" },
        env("production", "master", "production"),
        env("staging", "production", "staging"),
        env("integration", "staging", "development"),
        env("stray", "master", "development", "inactive"),
      ],
      busy: new Map(),
      roles: admin,
    };
    const master = of(pro, "master");
    expect(master.activate).toEqual({
      allowed: false,
      reason: "master is this Pro project's code-only global master: it never deploys. Work on Integration; Production is deployed by merging Staging into it.",
    });
    expect(master.redeploy).toEqual({ allowed: false, reason: "master is the code-only global master: it never deploys." });
    expect(master.deactivate).toEqual({ allowed: false, reason: "master is the code-only global master: it never deploys, so there is nothing to deactivate." });
    expect(master.delete.allowed).toBe(false);
    const production = of(pro, "production");
    expect(production.merge).toEqual({
      allowed: false,
      reason: "Production is the top of the promotion path: master above it is the code-only global master, which never deploys. Merge into Production from Staging.",
    });
    expect(production.sync).toEqual({ allowed: false, reason: "Production is the top of the promotion path: master above it is the code-only global master, with no data and nothing newer to sync." });
    for (const a of [production.merge, production.sync, master.activate]) expect(JSON.stringify(a)).not.toContain("not active");
    // The promotion path below it works as before.
    expect(of(pro, "staging").merge).toEqual({ allowed: true });
    expect(of(pro, "integration").merge).toEqual({ allowed: true });
    // Something hung under master has no data to start from there.
    expect(of(pro, "stray").activate).toEqual({ allowed: false, reason: "Its parent master is the code-only global master, which has no data to copy: move Stray under Integration (Edit) first." });
    // Starter's master is Production, active: unchanged.
    expect(of(starter(), "master").activate).toEqual({ allowed: false, reason: "Production is already active." });
    expect(of(starter(), "staging").merge).toEqual({ allowed: true });
  });

  it("has one name per environment type, and names the Pro root and where work starts", () => {
    expect([typeLabel("production"), typeLabel("staging"), typeLabel("development")]).toEqual(["Production", "Staging", "Integration"]);
    expect(kindLabel({ name: "master", parentId: null, type: "development" })).toBe("Global master");
    expect(kindLabel({ name: "master", parentId: null, type: "production" })).toBe("Production");
    expect(kindLabel({ name: "feature", parentId: "x", type: "development" })).toBe("Integration");
    // A member who sees Integration but not Staging sees integration at the top: it is not the global master.
    expect(isGlobalMaster({ name: "integration", parentId: null, type: "development" })).toBe(false);
    expect(startingBranch("pro")).toBe("integration");
    expect(startingBranch("starter")).toBe("master");
  });

  it("gives each role its actions", () => {
    const ctx = starter([env("feature", "staging", "development")], { roles: { production: "none", staging: "viewer", development: "contributor" } });
    const feature = of(ctx, "feature");
    expect(feature.branch).toEqual({ allowed: true });
    expect(feature.redeploy).toEqual({ allowed: true });
    expect(feature.merge).toEqual({ allowed: false, reason: "Viewers cannot merge into Staging: it needs the admin role on Staging environments." });
    expect(feature.deactivate.allowed).toBe(false);
    expect(of(ctx, "master").redeploy).toEqual({ allowed: false, reason: "You have no access to Production environments." });
  });

  it("refuses deleting an environment with children, naming them", () => {
    const ctx = starter([env("parent", "staging", "development", "inactive"), env("kid", "parent", "development", "inactive")]);
    expect(of(ctx, "parent").delete).toEqual({ allowed: false, reason: "It has 1 child environment (kid): re-parent or delete it first." });
    expect(of(ctx, "kid").delete).toEqual({ allowed: true });
    const many = starter([env("parent", "staging", "development", "inactive"), ...Array.from({ length: 40 }, (_, i) => env(`kid-${i}`, "parent", "development", "inactive"))]);
    expect(of(many, "parent").delete).toEqual({ allowed: false, reason: "It has 40 child environments (kid-0, kid-1, kid-2, kid-3, kid-4 and 35 more): re-parent or delete them first." });
  });

  it("offers no descendant as a new parent", () => {
    const ctx = starter([env("a", "staging", "development"), env("b", "a", "development"), env("c", "b", "development")]);
    expect(possibleParents(ctx.environments.find((e) => e.id === "a")!, ctx.environments).map((e) => e.id)).toEqual(["master", "staging"]);
  });

  it.each([
    ["", "1–32 characters"],
    ["x".repeat(33), "1–32 characters"],
    ["a..b", "lowercase letters"],
    ["with space", "lowercase letters"],
    ["Upper", "lowercase letters"],
    ["semi;colon", "lowercase letters"],
    ["ünïcode", "lowercase letters"],
    ["x".repeat(200), "1–32 characters"],
    ["staging", "already a branch"],
  ])("refuses the name %j", (name, message) => {
    expect(environmentNameProblem(name, [{ name: "staging" }])).toContain(message);
  });
});
