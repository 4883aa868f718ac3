import type { TestProject } from "vitest/node";
import { findPostgresBinDir, startCluster, type Cluster } from "./postgres-cluster";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

let cluster: Cluster | undefined;

/** Starts the throwaway PostgreSQL cluster once for all integration tests (or uses TEST_DATABASE_URL). */
export async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide("postgresUrl", process.env.TEST_DATABASE_URL);
    console.log("[integration] PostgreSQL: using TEST_DATABASE_URL.");
    return;
  }
  const binDir = findPostgresBinDir();
  if (!binDir) {
    project.provide("postgresUrl", null);
    console.warn(
      "[integration] SKIPPED the PostgreSQL integration tests: no PostgreSQL server binaries found " +
        "(install Debian's postgresql package) and TEST_DATABASE_URL is unset. The PGlite runs still happened.",
    );
    return;
  }
  const started = Date.now();
  cluster = await startCluster(binDir);
  console.log(`[integration] PostgreSQL: throwaway cluster from ${binDir} started in ${Date.now() - started} ms.`);
  project.provide("postgresUrl", cluster.url);
}

export async function teardown() {
  await cluster?.stop();
}
