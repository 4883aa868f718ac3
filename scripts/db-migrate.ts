// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded
// database in DATA_DIR (stop the dashboard first: PGlite allows one process at a time).
import { openDatabase } from "@/db/client";
import { env } from "@/lib/env";

try {
  const { DATABASE_URL, dataDir } = env();
  const database = await openDatabase(DATABASE_URL ? { databaseUrl: DATABASE_URL, poolSize: 1 } : { dataDir });
  try {
    const applied = await database.migrate();
    console.log(`${applied} migration(s) applied to ${DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : `the embedded database in ${dataDir}`}.`);
  } finally {
    await database.close();
  }
} catch (err) {
  console.error(`db:migrate failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
