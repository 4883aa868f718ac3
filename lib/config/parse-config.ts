/**
 * Reads .magento.app.yaml, .magento/services.yaml and .magento/routes.yaml into typed
 * values, or into errors with file, line and message. Pure.
 */
import { LineCounter, parseDocument, isNode } from "yaml";
import { z } from "zod";

export const CONFIG_FILES = { app: ".magento.app.yaml", services: ".magento/services.yaml", routes: ".magento/routes.yaml" } as const;

export const KNOWN_SERVICES = ["mysql", "mariadb", "redis", "opensearch", "elasticsearch", "rabbitmq", "varnish", "solr", "memcached"] as const;

const hook = z.string().optional();
export const appSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/, "name must be lowercase letters, digits and dashes"),
  type: z.string().regex(/^[a-z]+:[0-9.]+$/, "type must look like php:8.3"),
  disk: z.number().int().positive(),
  relationships: z.record(z.string(), z.string().regex(/^[a-z0-9_-]+:[a-z0-9_-]+$/, "a relationship must look like service:endpoint")).default({}),
  mounts: z.record(z.string(), z.union([z.string(), z.object({ source: z.string(), source_path: z.string().optional() })])).default({}),
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

export type AppConfig = z.infer<typeof appSchema>;
export type ServicesConfig = z.infer<typeof servicesSchema>;
export type RoutesConfig = z.infer<typeof routesSchema>;
export interface ProjectConfig {
  app: AppConfig;
  services: ServicesConfig;
  routes: RoutesConfig;
}
export interface ConfigError {
  file: string;
  line: number | null;
  message: string;
}
export type ConfigResult = { ok: true; config: ProjectConfig } | { ok: false; errors: ConfigError[] };

function parseOne<S extends z.ZodType>(file: string, text: string | null, schema: S): { value?: z.output<S>; errors: ConfigError[] } {
  if (text === null) return { errors: [{ file, line: null, message: "the file is missing" }] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    return { errors: doc.errors.map((e) => ({ file, line: e.linePos?.[0]?.line ?? null, message: e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "") })) };
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { value: parsed.data, errors: [] };
  return {
    errors: parsed.error.issues.map((issue) => {
      let line: number | null = null;
      for (let depth = issue.path.length; depth >= 0 && line === null; depth--) {
        const node = doc.getIn(issue.path.slice(0, depth) as (string | number)[], true);
        if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line;
      }
      const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
      return { file, line, message: `${where}${issue.message}` };
    }),
  };
}

/** Validates the three files together, including relationships that point at missing services. */
export function parseProjectConfig(files: { app: string | null; services: string | null; routes: string | null }): ConfigResult {
  const app = parseOne(CONFIG_FILES.app, files.app, appSchema);
  const services = parseOne(CONFIG_FILES.services, files.services, servicesSchema);
  const routes = parseOne(CONFIG_FILES.routes, files.routes, routesSchema);
  const errors = [...app.errors, ...services.errors, ...routes.errors];
  if (app.value && services.value) {
    for (const [name, target] of Object.entries(app.value.relationships)) {
      const service = target.split(":")[0]!;
      if (!(service in services.value)) {
        const lineOf = files.app?.split("\n").findIndex((l) => l.trimStart().startsWith(`${name}:`)) ?? -1;
        errors.push({ file: CONFIG_FILES.app, line: lineOf >= 0 ? lineOf + 1 : null, message: `relationships.${name}: service “${service}” is not defined in ${CONFIG_FILES.services}` });
      }
    }
  }
  if (app.value && routes.value) {
    for (const [url, route] of Object.entries(routes.value)) {
      if (route.type === "upstream" && route.upstream.split(":")[0] !== app.value.name) {
        errors.push({ file: CONFIG_FILES.routes, line: null, message: `${url}: upstream “${route.upstream}” does not name the application “${app.value.name}”` });
      }
    }
  }
  if (errors.length > 0 || !app.value || !services.value || !routes.value) return { ok: false, errors };
  return { ok: true, config: { app: app.value, services: services.value, routes: routes.value } };
}

export function formatConfigError(e: ConfigError): string {
  return `${e.file}${e.line ? `:${e.line}` : ""}: ${e.message}`;
}
