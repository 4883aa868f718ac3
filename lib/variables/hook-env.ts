import type { EffectiveVariable } from "./resolve";

/**
 * What a hook receives from the effective variables, for the build or for runtime (deploy and
 * post_deploy): `env:FOO` becomes the shell variable FOO (as given); every other name goes into
 * MAGENTO_CLOUD_VARIABLES, a base64 JSON object (JSON variables as parsed values; `php:` names
 * keep their prefix). Pure.
 */
export function hookVariables(effective: ReadonlyMap<string, EffectiveVariable>, phase: "build" | "runtime"): { shell: Record<string, string>; magentoCloudVariables: string } {
  const shell: Record<string, string> = {};
  const json: Record<string, unknown> = {};
  for (const [name, { definition }] of [...effective].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (phase === "build" ? !definition.visibleBuild : !definition.visibleRuntime) continue;
    if (name.startsWith("env:")) {
      const shellName = name.slice(4);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(shellName)) shell[shellName] = definition.value;
      continue;
    }
    json[name] = definition.isJson ? JSON.parse(definition.value) : definition.value;
  }
  return { shell, magentoCloudVariables: Buffer.from(JSON.stringify(json)).toString("base64") };
}
