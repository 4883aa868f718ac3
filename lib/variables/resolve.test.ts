import { describe, expect, it } from "vitest";
import { hookVariables } from "./hook-env";
import { definitionStatus, effectiveVariables, variablesStamp, type VariableDefinition } from "./resolve";

const v = (name: string, value: string, more: Partial<VariableDefinition> = {}): VariableDefinition => ({
  name,
  value,
  isJson: false,
  isSensitive: false,
  visibleBuild: true,
  visibleRuntime: true,
  inheritable: true,
  enabled: true,
  ...more,
});

const chain = ["feature", "integration", "master"];

describe("effectiveVariables", () => {
  const cases: { title: string; envs: Record<string, VariableDefinition[]>; project: VariableDefinition[]; expect: Record<string, string> }[] = [
    { title: "a project variable applies everywhere", envs: {}, project: [v("A", "p")], expect: { A: "p@project" } },
    { title: "an environment definition is above the project's", envs: { master: [v("A", "m")] }, project: [v("A", "p")], expect: { A: "m@master" } },
    { title: "the nearest environment wins", envs: { master: [v("A", "m")], integration: [v("A", "i")] }, project: [], expect: { A: "i@integration" } },
    { title: "a non-inheritable definition stays home", envs: { integration: [v("A", "i", { inheritable: false })], master: [v("A", "m")] }, project: [], expect: { A: "m@master" } },
    { title: "but applies to its own environment", envs: { feature: [v("A", "f", { inheritable: false })] }, project: [v("A", "p")], expect: { A: "f@feature" } },
    { title: "a disabled definition is skipped", envs: { feature: [v("A", "f", { enabled: false })], master: [v("A", "m")] }, project: [], expect: { A: "m@master" } },
    { title: "a disabled project variable is nothing", envs: {}, project: [v("A", "p", { enabled: false })], expect: {} },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const effective = effectiveVariables(chain, new Map(Object.entries(c.envs)), c.project);
      const shown = Object.fromEntries([...effective].map(([name, e]) => [name, `${e.definition.value}@${e.source.level === "project" ? "project" : e.source.environment}`]));
      expect(shown).toEqual(c.expect);
    });
  }

  it("labels each definition: applies, inherited, overridden, inactive, disabled", () => {
    const own = v("A", "f");
    const parents = v("A", "i");
    const fromParent = v("B", "i");
    const shadowed = v("B", "p");
    const off = v("C", "f", { enabled: false });
    const envs = new Map([["feature", [own, off]], ["integration", [parents, fromParent]]]);
    const effective = effectiveVariables(chain, envs, [shadowed]);
    expect(definitionStatus(own, { level: "environment", environment: "feature" }, chain, effective)).toEqual({ kind: "applies" });
    expect(definitionStatus(parents, { level: "environment", environment: "integration" }, chain, effective)).toEqual({ kind: "overridden", by: "feature" });
    expect(definitionStatus(fromParent, { level: "environment", environment: "integration" }, chain, effective)).toEqual({ kind: "inherited", from: "integration" });
    expect(definitionStatus(shadowed, { level: "project" }, chain, effective)).toEqual({ kind: "inactive", by: "integration" });
    expect(definitionStatus(off, { level: "environment", environment: "feature" }, chain, effective)).toEqual({ kind: "disabled" });
  });
});

describe("hookVariables", () => {
  it("splits env: names into the shell and the rest into MAGENTO_CLOUD_VARIABLES, by phase", () => {
    const effective = effectiveVariables(
      ["staging"],
      new Map([
        [
          "staging",
          [
            v("env:COMPOSER_AUTH", '{"a":1}'),
            v("env:lower_case", "kept as given"),
            v("ADMIN_EMAIL", "ops@example.com", { visibleBuild: false }),
            v("settings", '{"x":[1,2]}', { isJson: true }),
            v("php:memory_limit", "512M"),
            v("env:RUNTIME_ONLY", "r", { visibleBuild: false }),
            v("env:BAD NAME", "never"),
          ],
        ],
      ]),
      [],
    );
    const build = hookVariables(effective, "build");
    expect(build.shell).toEqual({ COMPOSER_AUTH: '{"a":1}', lower_case: "kept as given" });
    expect(JSON.parse(Buffer.from(build.magentoCloudVariables, "base64").toString())).toEqual({ settings: { x: [1, 2] }, "php:memory_limit": "512M" });
    const runtime = hookVariables(effective, "runtime");
    expect(runtime.shell).toMatchObject({ RUNTIME_ONLY: "r" });
    expect(JSON.parse(Buffer.from(runtime.magentoCloudVariables, "base64").toString())).toMatchObject({ ADMIN_EMAIL: "ops@example.com" });
  });
});

describe("variablesStamp", () => {
  const hash = (text: string) => text; // the text itself: easy to compare
  const stamp = (defs: VariableDefinition[]) => variablesStamp(effectiveVariables(["staging"], new Map([["staging", defs]]), []), hash);
  it("changes with what a hook would get, not with order, labels or invisible definitions", () => {
    const a = v("A", "1");
    const b = v("B", "2");
    expect(stamp([a, b])).toBe(stamp([b, a]));
    expect(stamp([a])).not.toBe(stamp([v("A", "2")]));
    expect(stamp([a])).not.toBe(stamp([v("A", "1", { visibleBuild: false })]));
    expect(stamp([a])).not.toBe(stamp([v("A", "1", { isJson: true })]));
    expect(stamp([a])).toBe(stamp([a, v("HIDDEN", "x", { visibleBuild: false, visibleRuntime: false })]));
    expect(stamp([a])).toBe(stamp([a, v("OFF", "x", { enabled: false })]));
    expect(stamp([])).toBe(variablesStamp(new Map(), hash));
  });
});
