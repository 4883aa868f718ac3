// What the benchmarks that drive environments in this process share: the app's database in
// DATA_DIR (migrated), an activity worker, and an environment router on a free port.
import type { AddressInfo } from "node:net";
import { openDatabase } from "@/db/client";
import { startActivityWorker } from "@/lib/activity-runners";
import { createEnvironmentRouter } from "@/lib/runtime/router";
import { mariadbTemplate } from "@/lib/runtime/services/data-template";

/** Opens and migrates the database in `dataDir`, starts a worker and a router (call after DATA_DIR is set). */
export async function startLocalStack(dataDir: string) {
  const database = await openDatabase({ dataDir });
  await database.migrate();
  // As the server does after it starts: the MariaDB data template copies start from.
  await mariadbTemplate();
  const db = database.db;
  const worker = startActivityWorker(db);
  const router = createEnvironmentRouter(async () => db);
  await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
  return { database, db, worker, router, routerPort: (router.address() as AddressInfo).port };
}
