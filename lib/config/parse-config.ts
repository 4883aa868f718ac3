/**
 * Reads .magento.app.yaml, .magento/services.yaml and .magento/routes.yaml into typed
 * values, or into errors with file, line and message. Pure.
 */
import { z } from "zod";
import { parseYamlFile, type ParsedYaml } from "./yaml-stage.mjs";

export const CONFIG_FILES = { app: ".magento.app.yaml", services: ".magento/services.yaml", routes: ".magento/routes.yaml" } as const;

export const KNOWN_SERVICES = ["mysql", "mariadb", "redis", "opensearch", "elasticsearch", "rabbitmq", "varnish", "solr", "memcached"] as const;

/** Files the server writes into every deployment: no mount may take their place. */
const SERVER_FILES = [".web-root", ".deploy-commit", ".router.json", ".mounts.json", ".build-complete"];

const hook = z.string().optional();
export const appSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/, "name must be lowercase letters, digits and dashes"),
  type: z.string().regex(/^[a-z]+:[0-9.]+$/, "type must look like php:8.3"),
  disk: z.number().int().positive(),
  relationships: z.record(z.string(), z.string().regex(/^[a-z0-9_-]+:[a-z0-9_-]+$/, "a relationship must look like service:endpoint")).default({}),
  mounts: z
    .record(z.string(), z.union([z.string(), z.object({ source: z.string(), source_path: z.string().optional() })]))
    .default({})
    .superRefine((mounts, ctx) => {
      const clean = (m: string) => m.split("/").filter((p) => p !== "" && p !== ".");
      const paths = Object.keys(mounts).map((m) => ({ key: m, parts: clean(m) }));
      for (const { key, parts } of paths) {
        if (parts.length === 0 || parts.includes("..")) ctx.addIssue({ code: "custom", path: [key], message: `the mount “${key}” must name a folder inside the application` });
        else if (parts.length === 1 && SERVER_FILES.includes(parts[0]!)) ctx.addIssue({ code: "custom", path: [key], message: `“${key}” is a file the server keeps in every deployment: choose another mount path` });
        const outer = paths.find((o) => o.key !== key && o.parts.length > 0 && o.parts.length < parts.length && o.parts.every((p, i) => parts[i] === p));
        if (outer) ctx.addIssue({ code: "custom", path: [key], message: `the mount “${key}” lies inside the mount “${outer.key}”: mounts cannot be nested; put it beside it` });
      }
    }),
  web: z.object({ locations: z.record(z.string(), z.object({ root: z.string().optional() }).passthrough()) }).passthrough(),
  hooks: z.object({ build: hook, deploy: hook, post_deploy: hook }).default({}),
  crons: z.record(z.string(), z.object({ spec: z.string(), cmd: z.string() })).default({}),
}).passthrough();

export const servicesSchema = z.record(
  z.string().regex(/^[a-z0-9]+$/, "a service id is lowercase letters and digits"),
  z.object({
    type: z.string().superRefine((t, ctx) => {
      if (!/^[a-z]+:[0-9.]+$/.test(t)) ctx.addIssue({ code: "custom", message: "type must look like mysql:10.6" });
      else if (!(KNOWN_SERVICES as readonly string[]).includes(t.split(":")[0]!)) {
        ctx.addIssue({ code: "custom", message: `unknown service type “${t.split(":")[0]}” (known: ${KNOWN_SERVICES.join(", ")})` });
      }
    }),
    disk: z.number().int().positive().optional(),
  }).passthrough(),
);

export const routesSchema = z.record(
  z.string(),
  z.discriminatedUnion("type", [
    z.object({ type: z.literal("upstream"), upstream: z.string().regex(/^[a-z0-9-]+:http$/, "upstream must look like app:http") }).passthrough(),
    z.object({ type: z.literal("redirect"), to: z.string() }).passthrough(),
  ]),
);

/** The three files' values together, as a deployment keeps them (deployments.config is checked with it when read). */
export const projectConfigSchema = z.object({ app: appSchema, services: servicesSchema, routes: routesSchema });

export type AppConfig = z.infer<typeof appSchema>;
export type ServicesConfig = z.infer<typeof servicesSchema>;
export type RoutesConfig = z.infer<typeof routesSchema>;
export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export interface ConfigError {
  file: string;
  line: number | null;
  message: string;
}
export type ConfigResult = { ok: true; config: ProjectConfig } | { ok: false; errors: ConfigError[] };

/** The largest configuration file read (bytes); a larger one is a configuration error. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Schema errors reported per file. */
const MAX_ERRORS = 20;

export type ConfigFileKey = keyof typeof CONFIG_FILES;
export type ParsedConfigFiles = Record<ConfigFileKey, ParsedYaml>;

function checkOne<S extends z.ZodType>(file: string, parsed: ParsedYaml, schema: S): { value?: z.output<S>; lineOf: (path: readonly (string | number)[]) => number | null; errors: ConfigError[] } {
  const lines = new Map(parsed.kind === "ok" ? parsed.lines : []);
  const lineOf = (p: readonly (string | number)[]) => {
    for (let depth = p.length; depth >= 0; depth--) {
      const line = lines.get(JSON.stringify(p.slice(0, depth).map((k) => (typeof k === "number" ? k : String(k)))));
      if (line !== undefined) return line;
    }
    return null;
  };
  if (parsed.kind === "missing") return { lineOf, errors: [{ file, line: null, message: "the file is missing" }] };
  if (parsed.kind === "errors") return { lineOf, errors: parsed.errors };
  const result = schema.safeParse(parsed.value);
  if (result.success) return { value: result.data, lineOf, errors: [] };
  return {
    lineOf,
    errors: result.error.issues.slice(0, MAX_ERRORS).map((issue) => {
      const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
      return { file, line: lineOf(issue.path as (string | number)[]), message: `${where}${issue.message}` };
    }),
  };
}

/** Validates the three files' YAML together, including relationships that point at missing services. Pure. */
export function validateConfig(parsed: ParsedConfigFiles): ConfigResult {
  const app = checkOne(CONFIG_FILES.app, parsed.app, appSchema);
  const services = checkOne(CONFIG_FILES.services, parsed.services, servicesSchema);
  const routes = checkOne(CONFIG_FILES.routes, parsed.routes, routesSchema);
  const errors = [...app.errors, ...services.errors, ...routes.errors];
  if (app.value && services.value) {
    for (const [name, target] of Object.entries(app.value.relationships)) {
      const service = target.split(":")[0]!;
      if (!(service in services.value)) {
        errors.push({ file: CONFIG_FILES.app, line: app.lineOf(["relationships", name]), message: `relationships.${name}: service “${service}” is not defined in ${CONFIG_FILES.services}` });
      }
    }
  }
  if (app.value && routes.value) {
    for (const [url, route] of Object.entries(routes.value)) {
      if (route.type === "upstream" && route.upstream.split(":")[0] !== app.value.name) {
        errors.push({ file: CONFIG_FILES.routes, line: routes.lineOf([url]), message: `${url}: upstream “${route.upstream}” does not name the application “${app.value.name}”` });
      }
    }
  }
  if (errors.length > 0 || !app.value || !services.value || !routes.value) return { ok: false, errors };
  return { ok: true, config: { app: app.value, services: services.value, routes: routes.value } };
}

/**
 * Reads the three files' text in this thread. For small, trusted text (tests, the template);
 * the server reads a repository's files through load-config.ts (size caps, a worker thread).
 */
export function parseProjectConfig(files: { app: string | null; services: string | null; routes: string | null }): ConfigResult {
  return validateConfig({
    app: parseYamlFile(CONFIG_FILES.app, files.app),
    services: parseYamlFile(CONFIG_FILES.services, files.services),
    routes: parseYamlFile(CONFIG_FILES.routes, files.routes),
  });
}

export function formatConfigError(e: ConfigError): string {
  return `${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`;
}
