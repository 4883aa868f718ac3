import "server-only";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Db } from "@/db/client";
import { dataPaths } from "@/lib/paths";
import { adminCommand, type AdminRequest } from "./admin-commands";

/**
 * `npm run admin` on this machine talks to the running dashboard through this socket (the
 * embedded database admits one process). It lives in DATA_DIR/run (mode 0700) with mode
 * 0600: only the account that runs the dashboard can use it — the same account that could
 * read the database files anyway.
 */
export function startAdminSocket(getDb: () => Promise<Db>, log: (line: string) => void): void {
  const at = dataPaths.adminSocket();
  if (Buffer.byteLength(at) >= 100) {
    log(`[startup] DATA_DIR is too long a path for the admin socket; stop the dashboard to use \`npm run admin\`.`);
    return;
  }
  fs.mkdirSync(path.dirname(at), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(at), 0o700);
  fs.rmSync(at, { force: true }); // left by a dead server
  const server = net.createServer((conn) => {
    let text = "";
    conn.setEncoding("utf8");
    conn.setTimeout(30_000, () => conn.destroy());
    conn.on("error", () => {});
    conn.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > 4096) return conn.destroy();
      if (!text.endsWith("\n")) return;
      conn.removeAllListeners("data");
      let request: AdminRequest;
      try {
        request = JSON.parse(text) as AdminRequest;
      } catch {
        return conn.end(JSON.stringify({ ok: false, error: "Unreadable request." }) + "\n");
      }
      getDb()
        .then((db) => adminCommand(db, request))
        .then((answer) => conn.end(JSON.stringify(answer) + "\n"))
        .catch((err: unknown) => conn.end(JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) }) + "\n"));
    });
  });
  server.on("error", (err) => log(`[startup] The admin socket failed: ${err.message}`));
  server.listen(at, () => fs.chmodSync(at, 0o600));
  server.unref();
}
