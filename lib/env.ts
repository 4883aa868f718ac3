/**
 * The only module that reads process.env. Values are validated once, on first use,
 * so a build (which imports modules without running them) never needs them.
 */
import path from "node:path";
import { z } from "zod";

/** The services the project template can declare (lib/git/template.ts), in services.yaml's order. */
export const TEMPLATE_SERVICES = ["mysql", "redis", "opensearch", "rabbitmq"] as const;
export type TemplateService = (typeof TEMPLATE_SERVICES)[number];
/** A new project's services unless PROJECT_TEMPLATE_SERVICES says otherwise: Magento's own template's (RabbitMQ is asked for by name: its Erlang VM is about 100 MiB and 5 s to start per environment). */
export const DEFAULT_TEMPLATE_SERVICES: readonly TemplateService[] = ["mysql", "redis", "opensearch"];

const schema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      message: "DATABASE_URL must start with postgres:// or postgresql://",
    }),
  DATA_DIR: z.string().trim().default("./.data"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** The environment router's port (each environment's site); 0 runs no router in this process. */
  ENV_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  AUTH_SECRET: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || v.length >= 32, { message: "AUTH_SECRET must be at least 32 characters" }),
  ADMIN_EMAIL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.toLowerCase() : undefined))
    .refine((v) => v === undefined || z.email().safeParse(v).success, { message: "ADMIN_EMAIL is not an email address" }),
  ADMIN_PASSWORD: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || v.length >= 8, { message: "ADMIN_PASSWORD must be at least 8 characters" }),
  SEED_DEMO: z
    .string()
    .optional()
    .transform((v) => !(v !== undefined && ["0", "false", "no", "off"].includes(v.trim().toLowerCase()))),
  /**
   * Values that never reach a stored log, the stream or a download (shown as ******),
   * comma-separated. Sensitive project variables will be added to this list.
   */
  LOG_REDACT_VALUES: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter((s) => s.length >= 4) : [])),
  /** RUN_WORKER=0: this dashboard process runs no activities (separate `npm run worker` processes do; needs DATABASE_URL). */
  RUN_WORKER: z
    .string()
    .optional()
    .transform((v) => !(v !== undefined && ["0", "false", "no", "off"].includes(v.trim().toLowerCase()))),
  /** CRON_SCHEDULER=0: this process's worker starts no crons on their schedule (Run now still works; another worker may schedule them). */
  CRON_SCHEDULER: flag(true),
  /** SCHEDULED_BACKUPS=0: this process's worker takes no automated backups (the project's schedules; another worker may). */
  SCHEDULED_BACKUPS: flag(true),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /**
   * Hooks run in a bubblewrap sandbox. `auto` (default): sandboxed when bubblewrap works on
   * this machine, else unsandboxed with a warning in every deploy log; `required`: without a
   * working bubblewrap, hooks are refused.
   */
  HOOK_SANDBOX: z.enum(["auto", "required"]).default("auto"),
  /** HOOK_BUILD_NETWORK=1 gives build hooks the host's network (package downloads); deploy hooks never get it. */
  HOOK_BUILD_NETWORK: flag(false),
  /** Wall-clock limits per hook, in seconds. */
  HOOK_BUILD_TIMEOUT: z.coerce.number().int().min(1).max(24 * 3600).default(30 * 60),
  HOOK_DEPLOY_TIMEOUT: z.coerce.number().int().min(1).max(24 * 3600).default(10 * 60),
  /** Memory per hook (all its processes together where cgroups allow, else per process), MiB. */
  HOOK_MEMORY_MB: z.coerce.number().int().min(16).max(1024 * 1024).default(2048),
  /** Processes per hook. */
  HOOK_MAX_PROCESSES: z.coerce.number().int().min(8).max(100_000).default(512),
  /**
   * CPU per hook, in cores' worth of time (0.5: half of one core; 2: two cores), where the server
   * can make a cgroup with the cpu controller. Hooks of one environment run one at a time.
   */
  HOOK_CPUS: z.coerce
    .number({ error: "HOOK_CPUS must be a number of cores, like 1, 0.5 or 2" })
    .min(0.01, { error: "HOOK_CPUS must be at least 0.01 (a hundredth of a core)" })
    .max(1024, { error: "HOOK_CPUS must be at most 1024" })
    .default(1),
  /** The largest git request body accepted after decompression, MiB (fetch negotiation and pushed packs). */
  GIT_MAX_REQUEST_MB: z.coerce.number().int().min(1).max(1024 * 1024).default(1024),
  /**
   * The dashboard's address as people reach it (`https://console.example.com`). With https,
   * cookies are Secure and answers carry Strict-Transport-Security; one-time links use it.
   */
  PUBLIC_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.replace(/\/+$/, "") : undefined))
    .refine((v) => v === undefined || /^https?:\/\/[^/\s]+$/.test(v), {
      message: "PUBLIC_URL must be an http:// or https:// address without a path, like https://console.example.com",
    }),
  /**
   * TRUST_PROXY=1: the dashboard runs behind one reverse proxy, whose X-Forwarded-For (last
   * address) and X-Forwarded-Proto are believed. Otherwise the client address is the socket's.
   */
  TRUST_PROXY: flag(false),
  /**
   * PAGE_CACHE=0: render every page for every request. By default the project list and project
   * pages are kept per session until the database changes (lib/session/page-cache.ts).
   */
  PAGE_CACHE: flag(true),
  /** Memory (MiB) all of one running environment's processes (web server, app, workers) may use together. */
  APP_MEMORY_MB: z.coerce.number().int().min(16).max(1024 * 1024).default(512),
  /** Processes one running environment may have at once. */
  APP_MAX_PROCESSES: z.coerce.number().int().min(8).max(100_000).default(128),
  /** Cores' worth of CPU time one running environment may use (where a cgroup can limit it). */
  APP_CPUS: z.coerce.number({ error: "APP_CPUS must be a number of cores, like 1 or 0.5" }).min(0.01).max(1024).default(1),
  /** Seconds a new release has to answer (post_start, then a request through its web server) before its deploy fails. */
  APP_START_TIMEOUT: z.coerce.number().int().min(1).max(3600).default(60),
  /** Seconds an environment's processes get between SIGTERM and SIGKILL when they stop. */
  APP_STOP_GRACE: z.coerce.number().int().min(0).max(600).default(15),
  /** The largest request body the environment router passes to an application, in MiB (larger: 413). */
  ROUTER_MAX_BODY_MB: z.coerce.number().int().min(1).max(100 * 1024).default(64),
  /** Seconds the environment router waits for an application's answer (then 504). */
  ROUTER_UPSTREAM_TIMEOUT: z.coerce.number().int().min(1).max(3600).default(60),
  /** The largest answer the environment router passes from an application, in MiB (then the answer is cut; not on nginx's fast path, which streams). */
  ROUTER_MAX_RESPONSE_MB: z.coerce.number().int().min(1).max(100 * 1024).default(512),
  /** ROUTER_FRONT=nginx (default): the host's nginx listens on ENV_PORT and passes sites straight to their environments (where the host has nginx); off: the console's router alone. */
  ROUTER_FRONT: z.enum(["nginx", "off"], { error: "ROUTER_FRONT must be nginx or off" }).default("nginx"),
  /**
   * WORKER_HOSTS_ENVIRONMENTS=1 on an `npm run worker` that runs on the dashboard's machine, with its
   * DATA_DIR: it also runs deploys, Pause, Resume, Deactivate and Delete, and hosts the processes
   * they start (the router reaches them by their sockets in DATA_DIR). Other workers never do.
   */
  WORKER_HOSTS_ENVIRONMENTS: flag(false),
  /** The key that seals sensitive variables: 32 bytes, base64. Unset: generated once into DATA_DIR/variables-key. */
  VARIABLES_KEY: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || Buffer.from(v, "base64").length === 32, { message: "VARIABLES_KEY must be 32 bytes in base64 (openssl rand -base64 32)" }),
  /**
   * The services the template of a new project declares in .magento/services.yaml (with the
   * application's relationships to them): comma-separated, of mysql, redis, opensearch and
   * rabbitmq, or `none` (default: mysql, redis, opensearch). Every deployed environment runs each
   * of them that this host can run (MariaDB and Redis: about 80 MiB each, RabbitMQ about 100 MiB);
   * a project can add or remove them in its repository.
   */
  PROJECT_TEMPLATE_SERVICES: z
    .string()
    .optional()
    .transform((v, ctx): TemplateService[] => {
      if (v === undefined) return [...DEFAULT_TEMPLATE_SERVICES];
      const names = v.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
      if (names.length === 1 && names[0] === "none") return [];
      const unknown = names.filter((n) => !(TEMPLATE_SERVICES as readonly string[]).includes(n));
      if (unknown.length > 0) ctx.addIssue({ code: "custom", message: `${unknown.map((n) => `“${n}”`).join(", ")} ${unknown.length > 1 ? "are" : "is"} not one of ${TEMPLATE_SERVICES.join(", ")} (comma-separated), or none` });
      return names as TemplateService[];
    }),
  /** How long a sign-in lasts, in hours (default 7 days). */
  SESSION_LIFETIME_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(7 * 24),
});

function flag(fallback: boolean) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined ? fallback : ["1", "true", "yes", "on"].includes(v.trim().toLowerCase())));
}

export type Env = z.infer<typeof schema> & { dataDir: string };

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  // An empty variable (`PORT=`) means "not set", as in most tools.
  const raw = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  cached = { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
  return cached;
}

/** PATH and HOME, for child processes (git, hooks) that must find programs. */
export function systemEnv(): { PATH: string; HOME: string } {
  return { PATH: process.env.PATH || "/usr/local/bin:/usr/bin:/bin", HOME: process.env.HOME || "/tmp" };
}

/** The environment for a child process: PATH and HOME, plus `extra`; nothing else leaks in. */
export function childProcessEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...systemEnv(), ...extra } as unknown as NodeJS.ProcessEnv;
}

/** For tests: forget the cached configuration after changing process.env. */
export function resetEnvForTests(): void {
  cached = undefined;
}
