import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const DOMAINS = ["environments", "projects", "snapshots", "topology", "users", "tokens", "instance", "variables"];

/** A no-restricted-imports rule per layer: `[files, why, forbidden lib folders]`. */
function layers(rules) {
  return rules.map(([files, why, forbidden]) => ({
    files: [`${files}/*.ts`, `${files}/*.tsx`],
    ignores: ["**/*.test.ts", "**/*.int.test.ts", "lib/testing-*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: [...new Set([...forbidden, ...(files.startsWith("lib/") ? ["actions"] : [])])].flatMap((f) => [`@/lib/${f}`, `@/lib/${f}/*`]), message: `Layering: ${why}.` }] }],
    },
  }));
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
  ]),
  globalIgnores([".next/**", "out/**", "build/**", "next-env.d.ts", ".data/**", "test-results/**", "playwright-report/**", "db/migrations/**"]),
]);
