import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": path.resolve(import.meta.dirname),
  // Next.js resolves "server-only" to an empty module on the server; so do we in tests.
  "server-only": path.resolve(import.meta.dirname, "db/testing/empty-module.ts"),
  // next-auth imports these without an extension, which Node's ESM resolution (used by
  // Vitest for dependencies) does not complete; route handlers under test need them.
  "next/server": path.resolve(import.meta.dirname, "node_modules/next/server.js"),
  "next/headers": path.resolve(import.meta.dirname, "node_modules/next/headers.js"),
  "next/navigation": path.resolve(import.meta.dirname, "node_modules/next/navigation.js"),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["{lib,db,components}/**/*.test.ts", "scripts/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
          environment: "node",
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          server: { deps: { inline: ["next-auth"] } },
          sequence: { groupOrder: 1 },
          include: ["{lib,db}/**/*.int.test.ts"],
          environment: "node",
          globalSetup: ["db/testing/postgres-global-setup.ts"],
          setupFiles: ["db/testing/setup-data-dir.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // PGlite instances are memory-hungry; two files at a time suit a 2-core machine.
          maxWorkers: 2,
        },
      },
    ],
  },
});
