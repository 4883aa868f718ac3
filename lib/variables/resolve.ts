/**
 * Which variables an environment gets, as on the platform. Pure.
 *
 * Walk from the environment up to the root: the nearest definition that is enabled and
 * inheritable wins, and the environment's own definition applies to itself even when it is
 * not inheritable. Project variables come last, under every environment definition.
 */
export interface VariableDefinition {
  name: string;
  value: string;
  isJson: boolean;
  isSensitive: boolean;
  visibleBuild: boolean;
  visibleRuntime: boolean;
  /** Environment variables only; project variables are always inherited. */
  inheritable: boolean;
  enabled: boolean;
}

export type VariableSource = { level: "project" } | { level: "environment"; environment: string };

export interface EffectiveVariable {
  definition: VariableDefinition;
  source: VariableSource;
}

/** How one definition stands for the environment being looked at (the console's row labels). */
export type DefinitionStatus =
  | { kind: "applies" }
  | { kind: "inherited"; from: string }
  | { kind: "overridden"; by: string }
  | { kind: "inactive"; by: string }
  | { kind: "disabled" };

/**
 * `chain`: the environment's name, then its parent's, up to the root. `byEnvironment`: each
 * environment's own definitions. Returns the effective set by name.
 */
export function effectiveVariables(
  chain: readonly string[],
  byEnvironment: ReadonlyMap<string, readonly VariableDefinition[]>,
  project: readonly VariableDefinition[],
): Map<string, EffectiveVariable> {
  const out = new Map<string, EffectiveVariable>();
  chain.forEach((environment, depth) => {
    for (const definition of byEnvironment.get(environment) ?? []) {
      if (!definition.enabled || out.has(definition.name)) continue;
      if (depth > 0 && !definition.inheritable) continue;
      out.set(definition.name, { definition, source: { level: "environment", environment } });
    }
  });
  for (const definition of project) {
    if (definition.enabled && !out.has(definition.name)) out.set(definition.name, { definition, source: { level: "project" } });
  }
  return out;
}

/** The label of a definition made at `source` when looking at the environment chain[0]. */
export function definitionStatus(definition: VariableDefinition, source: VariableSource, chain: readonly string[], effective: ReadonlyMap<string, EffectiveVariable>): DefinitionStatus {
  if (!definition.enabled) return { kind: "disabled" };
  const winner = effective.get(definition.name);
  const same = winner && winner.definition === definition;
  if (same) return source.level === "environment" && source.environment !== chain[0] ? { kind: "inherited", from: source.environment } : { kind: "applies" };
  const by = winner ? (winner.source.level === "project" ? "the project" : winner.source.environment) : "nothing";
  return source.level === "project" ? { kind: "inactive", by } : { kind: "overridden", by };
}

/**
 * A fingerprint of what the hooks get from `effective`, computed from the definitions as stored
 * (a sensitive value's sealed form, so nothing is opened to compare). A deploy records it; an
 * environment whose current fingerprint differs from its last deploy's shows "redeploy to
 * apply". Definitions visible to no hook count for nothing. Pure.
 */
export function variablesStamp(effective: ReadonlyMap<string, EffectiveVariable>, hash: (text: string) => string): string {
  const seen = [...effective.values()]
    .map(({ definition: d }) => d)
    .filter((d) => d.visibleBuild || d.visibleRuntime)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => [d.name, d.value, d.isJson, d.visibleBuild, d.visibleRuntime]);
  return hash(JSON.stringify(seen));
}
