// What the benchmarks that time the database's reads directly (no server) share.
import { openDatabase } from "@/db/client";
import { resetEnvForTests } from "@/lib/env";
import { createProject } from "@/lib/projects/create-project";
import { makeUser } from "@/lib/testing-fixtures";
import { benchTempDir } from "./temp-dir";

/**
 * An embedded database in a new scratch folder (its DATA_DIR), migrated, with an administrator
 * and one Starter project `id` (Master and Staging).
 */
export async function benchProject(prefix: string, id: string, title: string) {
  const dataDir = benchTempDir(prefix);
  process.env.DATA_DIR = dataDir;
  resetEnvForTests();
  const database = await openDatabase({ dataDir });
  await database.migrate();
  const admin = await makeUser(database.db, { isAdmin: true });
  await createProject(database.db, admin, { id, title, plan: "starter", region: "us-3" });
  return { dataDir, database, db: database.db, admin };
}
