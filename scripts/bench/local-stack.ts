// What the benchmarks that drive environments in this process share: the app's database in
// DATA_DIR (migrated), an activity worker, and the environment router on a free port, as the
// server starts it (nginx in front where the host has it; ROUTER_FRONT=off: this process alone).
import net from "node:net";
import { openDatabase } from "@/db/client";
import { startActivityWorker } from "@/lib/activity-runners";
import { startEnvironmentRouter, stopEnvironmentRouter } from "@/lib/runtime/router";
import { mariadbTemplate } from "@/lib/runtime/services/data-template";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Opens and migrates the database in `dataDir`, starts a worker and a router (call after DATA_DIR is set). */
export async function startLocalStack(dataDir: string) {
  const database = await openDatabase({ dataDir });
  await database.migrate();
  // As the server does after it starts: the MariaDB data template copies start from.
  await mariadbTemplate();
  const db = database.db;
  const worker = startActivityWorker(db);
  const routerPort = await freePort();
  await startEnvironmentRouter(routerPort, async () => db, (line) => console.log(line), { front: process.env.ROUTER_FRONT === "off" ? "off" : "nginx" });
  return { database, db, worker, router: { close: () => void stopEnvironmentRouter() }, routerPort };
}
