/**
 * Reads .magento.app.yaml, .magento/services.yaml and .magento/routes.yaml into typed
 * values, or into errors with file, line and message. Pure.
 */
import { isTimeZone, nextRuns, parseCronSpec } from "@/lib/crons/cron-spec";
import { z } from "zod";
import { parseYamlFile, type ParsedYaml } from "./yaml-stage.mjs";

export const CONFIG_FILES = { app: ".magento.app.yaml", services: ".magento/services.yaml", routes: ".magento/routes.yaml" } as const;

export const KNOWN_SERVICES = ["mysql", "mariadb", "redis", "redis-persistent", "postgresql", "opensearch", "elasticsearch", "rabbitmq", "varnish", "solr", "memcached"] as const;

/** Files the server writes into every deployment: no mount may take their place, and the web server never serves them. */
export const SERVER_FILES = [".web-root", ".deploy-commit", ".router.json", ".mounts.json", ".build-complete"] as const;

/** The runtime families this host runs (the part of `type` before the colon). */
export const RUNTIME_FAMILIES = ["php", "nodejs", "python"] as const;
export type RuntimeFamily = (typeof RUNTIME_FAMILIES)[number];

/** The longest value written into a generated configuration file (nginx, PHP-FPM). */
export const MAX_CONFIG_TEXT = 4096;
/** The longest `web.commands` or worker command (a shell script, as hooks are). */
export const MAX_COMMAND = 65_536;
/** The longest regular expression of `rules`. */
export const MAX_RULE_REGEX = 1024;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const describeControl = (c: string) =>
  c === "\n" || c === "\r" ? "a line break" : c === "\t" ? "a tab" : c === "\0" ? "a NUL byte" : `the control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;

/** Why `value` cannot be written into a generated configuration file, or null: one line of printable text, at most `max` characters. */
export function configTextProblem(value: string, max = MAX_CONFIG_TEXT): string | null {
  if (value.length > max) return `the value is ${value.length} characters long; the limit is ${max}`;
  const control = CONTROL.exec(value);
  if (control) return `the value contains ${describeControl(control[0])}: values written into the web server's configuration are one line of printable text; remove it`;
  return null;
}

/** For refinements that read only a record's keys: they run even when a value has errors, so that both are reported at once. */
const KEYS_ONLY = { when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null };

/** A string that reaches a generated configuration file: bounded, without control characters. */
const configText = (max = MAX_CONFIG_TEXT) =>
  z.string().superRefine((value, ctx) => {
    const problem = configTextProblem(value, max);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** A command run by bash (web.commands, workers): multi-line like a hook, but bounded and without NUL bytes, which no process argument can hold. */
const command = (error?: string) =>
  z
    .string(error ? { error } : undefined)
    .max(MAX_COMMAND, `a command is at most ${MAX_COMMAND} characters; put a longer one in a script file`)
    .refine((c) => !c.includes("\0"), "the command contains a NUL byte: remove it");

/** `expires` units as the platform (and nginx) write them, in seconds. */
const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, M: 2_592_000, y: 31_536_000 };
const MAX_EXPIRES_SECONDS = 2_147_483_647;

/** An `expires` value in whole seconds, null when caching is off (-1), or the sentence saying why it is not a duration. */
export function parseExpires(value: string | number): { seconds: number | null } | { error: string } {
  const text = String(value).trim();
  if (text === "-1") return { seconds: null };
  const m = /^(\d{1,12})(ms|s|m|h|d|w|M|y)?$/.exec(text);
  if (!m) return { error: `expires “${text.slice(0, 40)}” is not a duration: write a number with a unit (ms, s, m, h, d, w, M, y) such as 1h or 30d, or -1 for no caching` };
  const seconds = Math.floor(Number(m[1]) * DURATION_UNITS[m[2] ?? "s"]!);
  if (seconds > MAX_EXPIRES_SECONDS) return { error: `expires “${text}” is longer than nginx allows (about 68 years): choose a shorter duration` };
  return { seconds };
}

const expires = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  if (typeof value === "number" && !Number.isInteger(value)) ctx.addIssue({ code: "custom", message: "expires in seconds is a whole number (or use a unit: 500ms, 1h, 30d)" });
  else {
    const parsed = parseExpires(value);
    if ("error" in parsed) ctx.addIssue({ code: "custom", message: parsed.error });
  }
});

/** A location's front controller or `true` (to the application); a string is a URL path. */
const passthru = z.union([
  z.boolean(),
  configText()
    .refine((p) => p.startsWith("/"), "passthru is true, false or a path starting with “/” (such as /index.php)")
    .refine((p) => !p.split("?")[0]!.split("/").some((part) => part === "." || part === ".."), "passthru names a path inside the site: remove the “.” or “..”"),
]);

/** Header names (RFC 7230 tokens) that describe the message itself: nginx owns them. */
const FRAMING_HEADERS = ["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", "te", "host"];
const headers = z.record(z.string(), z.union([configText(), z.number().transform(String)])).superRefine((all, ctx) => {
  for (const name of Object.keys(all)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/.test(name)) {
      ctx.addIssue({ code: "custom", path: [name], message: `“${name.slice(0, 60).replace(CONTROL, "?")}” is not a header name: use letters, digits and - (such as X-Frame-Options)` });
    } else if (FRAMING_HEADERS.includes(name.toLowerCase())) {
      ctx.addIssue({ code: "custom", path: [name], message: `${name} is set by the web server itself; remove it from headers` });
    }
  }
});

/** `regex` with each named group `(?<name>…)` and back-reference `\k<name>` renamed; escapes and character classes are skipped as PCRE and JavaScript read them. */
export function renameRegexGroups(regex: string, rename: (name: string, kind: "group" | "reference") => string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i]!;
    const end = regex.indexOf(">", i + 3);
    if (c === "\\" && !inClass && regex.startsWith("k<", i + 1) && end > 0) {
      out += `\\k<${rename(regex.slice(i + 3, end), "reference")}>`;
      i = end;
    } else if (c === "\\") {
      out += regex.slice(i, i + 2);
      i++;
    } else if (inClass) {
      inClass = c !== "]";
      out += c;
    } else if (c === "(" && regex.startsWith("?<", i + 1) && !"=!".includes(regex[i + 3] ?? "=") && end > 0) {
      out += `(?<${rename(regex.slice(i + 3, end), "group")}>`;
      i = end;
    } else {
      inClass = c === "[";
      out += c;
    }
  }
  return out;
}

/** The named groups of a rule's regex (PCRE and JavaScript both write them `(?<name>…)`), in order. */
export function regexGroupNames(regex: string): string[] {
  const names: string[] = [];
  renameRegexGroups(regex, (name, kind) => {
    if (kind === "group") names.push(name);
    return name;
  });
  return names;
}

/**
 * Why a rule's key cannot be used, or null. nginx matches rules with PCRE; we check them as a
 * JavaScript RegExp, which accepts nearly the same syntax (an approximation: PCRE-only syntax
 * such as `(?P<name>…)` is refused here, and a rare JavaScript-only form would fail `nginx -t`).
 */
export function ruleRegexProblem(regex: string): string | null {
  const text = configTextProblem(regex, MAX_RULE_REGEX);
  if (text) return text;
  try {
    new RegExp(regex);
  } catch (e) {
    return `the rule “${regex.slice(0, 80)}” is not a regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, "")}); rules are regular expressions matched against the path`;
  }
  const bad = regexGroupNames(regex).find((n) => !/^[A-Za-z_][A-Za-z0-9_]{0,25}$/.test(n));
  if (bad !== undefined) return `the group name “${bad.slice(0, 40)}” is not usable: name groups with letters, digits and _ (at most 26 characters)`;
  return null;
}

const ruleSchema = z
  .object({ allow: z.boolean().optional(), expires: expires.optional(), passthru: passthru.optional(), scripts: z.boolean().optional(), headers: headers.optional() })
  .passthrough()
  .superRefine((rule, ctx) => {
    for (const key of ["root", "index", "rules", "request_buffering"]) {
      if (key in rule) ctx.addIssue({ code: "custom", path: [key], message: `a rule cannot set ${key}; set it on the location` });
    }
  });

/** A location's root: a folder of the application, relative to it. */
const root = configText()
  .refine((r) => !r.startsWith("/"), "root is relative to the application (such as public), not an absolute path")
  .refine((r) => !r.split("/").includes(".."), "root must name a folder inside the application: remove the “..”")
  .refine((r) => !r.includes("$"), "root cannot contain “$” (nginx would read it as a variable): rename the folder");

const indexName = configText(255).refine((n) => n.trim() !== "" && n !== "." && n !== ".." && !n.includes("/"), "an index is the name of a file in the folder (such as index.php), without “/”");

const locationSchema = z
  .object({
    root: root.nullable().optional(),
    passthru: passthru.optional(),
    index: z.union([indexName, z.array(indexName).max(20, "at most 20 index files"), z.null()]).optional(),
    expires: expires.optional(),
    allow: z.boolean().optional(),
    scripts: z.boolean().optional(),
    headers: headers.optional(),
    rules: z
      .record(z.string(), ruleSchema)
      .superRefine((rules, ctx) => {
        for (const regex of Object.keys(rules)) {
          const problem = ruleRegexProblem(regex);
          if (problem) ctx.addIssue({ code: "custom", path: [regex], message: problem });
        }
      }, KEYS_ONLY)
      .optional(),
  })
  .passthrough();

/** A location's key as nginx matches it: "/" or a path without a trailing slash, or null when it is not a path. */
export function normalLocationPath(key: string): string | null {
  if (!key.startsWith("/") || configTextProblem(key, 1024) !== null || key.includes("$")) return null;
  const parts = key.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === "." || p === "..") || key.includes("//")) return null;
  return `/${parts.join("/")}`;
}

const locationsSchema = z.record(z.string(), locationSchema).superRefine((locations, ctx) => {
  const seen = new Map<string, string>();
  for (const key of Object.keys(locations)) {
    const path = normalLocationPath(key);
    if (path === null) {
      ctx.addIssue({ code: "custom", path: [key], message: `the location “${key.slice(0, 80).replace(CONTROL, "?")}” must be a path starting with “/”, without “.”, “..”, “//”, “$” or control characters (such as /media)` });
    } else if (seen.has(path)) {
      ctx.addIssue({ code: "custom", path: [key], message: `the locations “${seen.get(path)}” and “${key}” name the same path: keep one` });
    } else seen.set(path, key);
  }
}, KEYS_ONLY);

const mountsSchema = z
  .record(z.string(), z.union([z.string(), z.object({ source: z.string(), source_path: z.string().optional() })]))
  .superRefine((mounts, ctx) => {
    const clean = (m: string) => m.split("/").filter((p) => p !== "" && p !== ".");
    const paths = Object.keys(mounts).map((m) => ({ key: m, parts: clean(m) }));
    for (const { key, parts } of paths) {
      if (parts.length === 0 || parts.includes("..")) ctx.addIssue({ code: "custom", path: [key], message: `the mount “${key}” must name a folder inside the application` });
      else if (parts.length === 1 && (SERVER_FILES as readonly string[]).includes(parts[0]!)) ctx.addIssue({ code: "custom", path: [key], message: `“${key}” is a file the server keeps in every deployment: choose another mount path` });
      const outer = paths.find((o) => o.key !== key && o.parts.length > 0 && o.parts.length < parts.length && o.parts.every((p, i) => parts[i] === p));
      if (outer) ctx.addIssue({ code: "custom", path: [key], message: `the mount “${key}” lies inside the mount “${outer.key}”: mounts cannot be nested; put it beside it` });
    }
  });

/** The most workers an application may have. */
export const MAX_WORKERS = 16;
/** The most services a project's services.yaml may declare. */
export const MAX_SERVICES = 12;
const WORKER_START = "a worker needs commands.start: the command that runs it";
const workerSchema = z
  .object({
    commands: z.object({ start: command(WORKER_START) }, { error: WORKER_START }).passthrough(),
    variables: z.record(z.string(), z.unknown()).optional(),
    mounts: mountsSchema.optional(),
    size: z.string().max(16).optional(),
    disk: z.number().int().positive().optional(),
  })
  .passthrough();

const webSchema = z
  .object({
    commands: z.object({ pre_start: command().optional(), start: command().optional(), post_start: command().optional() }).passthrough().optional(),
    upstream: z
      .object({
        socket_family: z.enum(["tcp", "unix"], { error: "socket_family is tcp or unix" }).optional(),
        protocol: z.enum(["http", "fastcgi"], { error: "protocol is http or fastcgi" }).optional(),
      })
      .passthrough()
      .optional(),
    locations: locationsSchema,
  })
  .passthrough();

/** The family of a `type` ("php:8.3" → "php"), or null when this host does not run it. */
export function runtimeFamily(type: string): RuntimeFamily | null {
  const family = type.split(":")[0] ?? "";
  return (RUNTIME_FAMILIES as readonly string[]).includes(family) ? (family as RuntimeFamily) : null;
}

/** How the web server reaches the application: the configured upstream, with the platform's defaults (PHP without a start command: FastCGI over a Unix socket; otherwise HTTP over TCP). */
export function resolveUpstream(app: { type: string; web: WebConfig }): { protocol: "http" | "fastcgi"; socketFamily: "tcp" | "unix" } {
  const phpFpm = runtimeFamily(app.type) === "php" && !app.web.commands?.start;
  return { protocol: app.web.upstream?.protocol ?? (phpFpm ? "fastcgi" : "http"), socketFamily: app.web.upstream?.socket_family ?? (phpFpm ? "unix" : "tcp") };
}

const hook = z.string().optional();

/** The most crons and operations an application may declare. */
export const MAX_CRONS = 50;
export const MAX_OPERATIONS = 50;
/** The longest a cron may run (the platform's default and maximum), and the longest grace after its stop. */
export const MAX_CRON_TIMEOUT = 86_400;
const NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;

/**
 * A cron as the platform writes it: `spec`, and `commands.start` (with `commands.stop`, run when it
 * must end, else SIGTERM), or the deprecated `cmd`; `shutdown_timeout` (seconds between the stop and
 * SIGKILL, 10 by default) and `timeout` (seconds it may run, 86,400 by default and at most).
 */
const cronSchema = z
  .object({
    spec: z.string({ error: "a cron needs spec: when it runs, such as “*/5 * * * *”" }).superRefine((spec, ctx) => {
      const read = parseCronSpec(spec);
      if (!read.ok) ctx.addIssue({ code: "custom", message: read.error });
    }),
    commands: z.object({ start: command("commands.start must be the command the cron runs"), stop: command().optional() }).passthrough().optional(),
    cmd: command().optional(),
    shutdown_timeout: z.number({ error: "shutdown_timeout must be a number of seconds" }).int("shutdown_timeout must be a whole number of seconds").min(0).max(3600, "shutdown_timeout is at most 3600 (seconds)").default(10),
    timeout: z.number({ error: "timeout must be a number of seconds" }).int("timeout must be a whole number of seconds").min(1, "timeout must be at least 1 (second)").max(MAX_CRON_TIMEOUT, `timeout is at most ${MAX_CRON_TIMEOUT} (seconds, a day)`).default(MAX_CRON_TIMEOUT),
  })
  .passthrough()
  .superRefine((cron, ctx) => {
    if (!cron.commands?.start && !cron.cmd) ctx.addIssue({ code: "custom", path: [], message: "a cron needs commands.start: the command it runs" });
    else if (cron.commands?.start && cron.cmd) ctx.addIssue({ code: "custom", path: ["cmd"], message: "give either commands.start or the older cmd, not both" });
  });

/** A runtime operation: a named command members of `role` and above run on demand (admin unless said). */
const operationSchema = z
  .object({
    role: z.enum(["viewer", "contributor", "admin"], { error: "role must be viewer, contributor or admin" }).default("admin"),
    commands: z.object({ start: command("commands.start must be the command the operation runs") }, { error: "an operation needs commands.start: the command it runs" }).passthrough(),
  })
  .passthrough();
export const appSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, "name must be lowercase letters, digits and dashes"),
    type: z.string().superRefine((t, ctx) => {
      if (!/^[a-z]+:[0-9.]+$/.test(t)) ctx.addIssue({ code: "custom", message: "type must look like php:8.3" });
      else if (!runtimeFamily(t)) ctx.addIssue({ code: "custom", message: `“${t}”: this host runs php, nodejs and python applications; choose one of them` });
    }),
    disk: z.number().int().positive(),
    relationships: z.record(z.string(), z.string().regex(/^[a-z0-9_-]+:[a-z0-9_-]+$/, "a relationship must look like service:endpoint")).default({}),
    mounts: mountsSchema.default({}),
    web: webSchema,
    workers: z
      .record(z.string(), workerSchema)
      .superRefine((workers, ctx) => {
        // Each worker is a sandbox of its own, started by the server: a bounded number.
        if (Object.keys(workers).length > MAX_WORKERS) ctx.addIssue({ code: "custom", path: [], message: `at most ${MAX_WORKERS} workers (this file has ${Object.keys(workers).length}): run several jobs in one worker` });
        for (const name of Object.keys(workers)) {
          if (!/^[a-z0-9_-]{1,64}$/.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `the worker name “${name.slice(0, 64).replace(CONTROL, "?")}” must be lowercase letters, digits, _ and - (at most 64)` });
        }
      }, KEYS_ONLY)
      .default({}),
    hooks: z.object({ build: hook, deploy: hook, post_deploy: hook }).default({}),
    crons: z
      .record(z.string(), cronSchema)
      .superRefine((crons, ctx) => {
        // Each cron is scheduled in every active environment: a bounded number.
        if (Object.keys(crons).length > MAX_CRONS) ctx.addIssue({ code: "custom", path: [], message: `at most ${MAX_CRONS} crons (this file has ${Object.keys(crons).length}): run several commands from one cron` });
        for (const name of Object.keys(crons)) {
          if (!NAME_PATTERN.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `the cron name “${name.slice(0, 64).replace(CONTROL, "?")}” must be lowercase letters, digits, _ and - (at most 64)` });
        }
      }, KEYS_ONLY)
      .default({}),
    /** The time zone crons' specs are read in (UTC when none). */
    timezone: z
      .string()
      .refine((zone) => isTimeZone(zone), { message: "timezone must be a time zone this host knows, such as Europe/Paris or UTC" })
      .optional(),
    operations: z
      .record(z.string(), operationSchema)
      .superRefine((operations, ctx) => {
        if (Object.keys(operations).length > MAX_OPERATIONS) ctx.addIssue({ code: "custom", path: [], message: `at most ${MAX_OPERATIONS} operations (this file has ${Object.keys(operations).length})` });
        for (const name of Object.keys(operations)) {
          if (!NAME_PATTERN.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `the operation name “${name.slice(0, 64).replace(CONTROL, "?")}” must be lowercase letters, digits, _ and - (at most 64)` });
        }
      }, KEYS_ONLY)
      .default({}),
  })
  .passthrough()
  .superRefine((app, ctx) => {
    const family = runtimeFamily(app.type);
    if (!family) return;
    const { protocol, socketFamily } = resolveUpstream(app);
    if (protocol === "fastcgi" && family !== "php") ctx.addIssue({ code: "custom", path: ["web", "upstream", "protocol"], message: `fastcgi is for php applications; a ${family} application speaks http` });
    else if (protocol === "fastcgi" && socketFamily === "tcp") ctx.addIssue({ code: "custom", path: ["web", "upstream", "socket_family"], message: "fastcgi is spoken over a Unix socket here: set socket_family to unix or leave it out" });
    if (family !== "php" && !app.web.commands?.start) ctx.addIssue({ code: "custom", path: ["web"], message: `a ${family} application needs web.commands.start: the command that starts the process serving the site` });
  });

/** The largest `disk:` a service may ask for, in MB (a typo like 1e12 is refused, not believed). */
export const MAX_SERVICE_DISK_MB = 1_000_000;

export const servicesSchema = z.record(
  z.string().regex(/^[a-z0-9]+$/, "a service id is lowercase letters and digits"),
  z.object({
    type: z.string().superRefine((t, ctx) => {
      if (!/^[a-z][a-z-]*:[0-9.]+$/.test(t)) ctx.addIssue({ code: "custom", message: "type must look like mysql:10.6" });
      else if (!(KNOWN_SERVICES as readonly string[]).includes(t.split(":")[0]!)) {
        ctx.addIssue({ code: "custom", message: `unknown service type “${t.split(":")[0]}” (known: ${KNOWN_SERVICES.join(", ")})` });
      }
    }),
    disk: z.number({ error: "disk must be a number of MB" }).int("disk must be a whole number of MB").positive("disk must be at least 1 (MB)").max(MAX_SERVICE_DISK_MB, `disk must be at most ${MAX_SERVICE_DISK_MB} (MB, about 1 TB)`).optional(),
  }).passthrough(),
).superRefine((services, ctx) => {
  // Each service that runs here is an engine of its own in every active environment: a bounded number.
  const count = Object.keys(services).length;
  if (count > MAX_SERVICES) ctx.addIssue({ code: "custom", path: [], message: `at most ${MAX_SERVICES} services (this file has ${count}): each one runs in every active environment` });
}, KEYS_ONLY);

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
export type WebConfig = z.infer<typeof webSchema>;
export type LocationConfig = z.infer<typeof locationSchema>;
export type LocationRule = z.infer<typeof ruleSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
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
  // A spec whose times cron-parser cannot compute in the app's timezone (it gives up near some zones'
  // clock changes) is an error when the file is read, not a cron that never runs. Not part of the
  // schema: a stored deployment is checked again on every read, and this depends on the date.
  const timezone = app.value?.timezone;
  if (app.value && timezone && timezone !== "UTC") {
    for (const [name, cron] of Object.entries(app.value.crons)) {
      const spec = parseCronSpec(cron.spec, name);
      if (!spec.ok) continue;
      try {
        nextRuns(spec.expression, new Date(), 1, timezone);
      } catch (err) {
        errors.push({ file: CONFIG_FILES.app, line: app.lineOf(["crons", name, "spec"]), message: `crons.${name}.spec: its next time cannot be computed in ${timezone} (${err instanceof Error ? err.message : String(err)}): change the spec or the timezone` });
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
