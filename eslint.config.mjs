import fs from "node:fs";
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const DOMAINS = ["environments", "projects", "snapshots", "topology", "users", "tokens", "instance", "variables"];
/** Every folder of lib/ (read here, so the foundations stay below a new folder too). */
const LIB_FOLDERS = fs.readdirSync(new URL("./lib", import.meta.url), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
/** lib's top-level modules that compose the domains (every other lib/*.ts is a foundation). */
const COMPOSITION = ["activity-kinds", "activity-runners", "activity-stream-filter"];

/**
 * A no-restricted-imports rule per layer: `[files, why, forbidden]`. `files` is a folder glob
 * ("lib/activities/**": its .ts and .tsx files) or a list of file globs. `forbidden` names lib
 * folders and top-level modules ("activities", "activity-kinds") or a module inside a folder
 * ("activities/worker"); "!activities/log-stream" lets one module of a forbidden folder back in
 * (after it); "@/…" is taken as written.
 */
function layers(rules) {
  return rules.map(([files, why, forbidden]) => {
    // A top-level lib file can also say "./environments/…" for "@/lib/environments/…".
    const topLevel = Array.isArray(files) && files.every((f) => /^lib\/[^/]+$/.test(f));
    const patterns = (f) =>
      f.startsWith("!") ? [`!@/lib/${f.slice(1)}`, ...(topLevel ? [`!./${f.slice(1)}`] : [])]
      : f.startsWith("@/") ? [f]
      : [`@/lib/${f}`, `@/lib/${f}/*`, ...(topLevel ? [`./${f}`, `./${f}/*`] : [])];
    return {
      files: Array.isArray(files) ? files : [`${files}/*.ts`, `${files}/*.tsx`],
      ignores: ["**/*.test.ts", "**/*.int.test.ts", "lib/testing-*.ts"],
      rules: {
        "no-restricted-imports": ["error", { patterns: [{ group: [...new Set([...forbidden, ...(String(files).startsWith("lib/") ? ["actions"] : [])])].flatMap(patterns), message: `Layering: ${why}.` }] }],
      },
    };
  });
}

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // One way down: app → actions/routes → session → domains → engine (activities) → runtime/git/config → db.
  // Each layer names what it may not import; tests may reach across.
  ...layers([
    ["{db,lib/!(actions)}/**", "only pages and components call server actions", ["actions"]],
    // (Later entries replace the rule for their files, so each lists "actions" again.)
    ["lib/activities/**", "the activity engine knows no domain: domains declare kinds, lib/activity-kinds.ts composes them", [...DOMAINS, "session", "activity-kinds", "activity-runners"]],
    ["lib/{runtime,git,config}/**", "runtime, git and config write to a LogSink and know no activity or domain", ["activities", ...DOMAINS, "session", "activity-kinds", "activity-runners"]],
    ["lib/auth/**", "auth holds permissions and project access below every domain", [...DOMAINS, "session", "activities", "activity-runners"]],
    ["lib/{users,tokens}/**", "users and tokens sit below the instance and the projects", ["instance", "projects", "environments", "snapshots", "session", "activity-runners"]],
    ["lib/{environments,snapshots}/**", "these domains are below projects, instance, the request session and the registry that composes their kinds", ["projects", "instance", "session", "actions", "activity-kinds", "activity-runners", "activity-stream-filter"]],
    ["lib/topology/**", "topology is below projects, instance and the request session", ["projects", "instance", "session", "actions", "activity-runners"]],
    ["lib/variables/**", "variables sit below the environments that deploy with them, the projects and the request session", ["environments", "projects", "snapshots", "instance", "session", "actions", "activity-kinds", "activity-runners"]],
    ["components/**", "components get data from props and routes, never from the worker, the request session or the instance", ["activity-runners", "session", "instance"]],
    // Pages, layouts and route handlers reach lib through actions, the session, the domains and the
    // engine's read side (views, log streams, project events). The worker, the runners and the
    // instance are the server's, not a request's. The runtime is below the domains; the one
    // exception is runtime/deploy, whose environmentUrls the environment page shows (pure, but it
    // lives beside the deploy; moving it out would let this rule close runtime/* entirely).
    [
      "app/**",
      "a page or route asks the session, the domains and the engine's read side; the worker, the runners, the runtime's internals, secrets, the disk layout and the instance are not a request's",
      [
        "activity-runners",
        "instance",
        "activities/*",
        "!activities/activity-view",
        "!activities/log-stream",
        "!activities/log-download",
        "!activities/project-events",
        "runtime/*",
        "!runtime/deploy",
        "secrets",
        "paths",
        "owner-only-files",
        "tree-tool",
        "off-thread",
      ],
    ],
    // Top-level lib/*.ts files: foundations (env, errors, paths, the process runner, text…) below
    // every folder of lib/ and below db (db/client uses env and owner-only-files); a new file is one
    // until it is listed below as composition.
    [["lib/*.ts", "lib/*.mjs"], "lib's top-level modules are foundations below every lib folder, the composition modules and db", [...LIB_FOLDERS, ...COMPOSITION, "@/db/*"]],
    // Composition: registries over the domains, above them and below what starts or asks them.
    [["lib/activity-kinds.ts"], "the registry of kinds composes what the domains declare (pure, for the browser too): it knows no runner, runtime, git, request session or instance", ["activity-runners", "activity-stream-filter", "runtime", "git", "session", "instance"]],
    [["lib/activity-runners.ts"], "the runners' registry (and the worker it starts) is below the instance that starts it, the request session and the stream filter", ["session", "instance", "activity-stream-filter"]],
    [["lib/activity-stream-filter.ts"], "the stream filter is a schema over the kinds: below the runners, the request session and the instance", ["activity-runners", "session", "instance"]],
  ]),
  globalIgnores([".next/**", "out/**", "build/**", "next-env.d.ts", ".data/**", "test-results/**", "playwright-report/**", "db/migrations/**"]),
]);
