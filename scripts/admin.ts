// `npm run admin -- reset-password <email>` (or `unlock <email>`): recovery on the machine
// itself. Talks to the running dashboard through its admin socket (DATA_DIR/run/admin.sock),
// or, when none runs, opens the database directly.
import fs from "node:fs";
import net from "node:net";
import { openDatabase } from "@/db/client";
import { env } from "@/lib/env";
import { adminCommand, type AdminAnswer, type AdminRequest } from "@/lib/instance/admin-commands";
import { dataPaths } from "@/lib/paths";

const USAGE = "Usage: npm run admin -- reset-password <email>   (prints a one-time link that sets the password)\n       npm run admin -- unlock <email>           (lifts sign-in lockouts for the email)";

const [command, email] = process.argv.slice(2);
if ((command !== "reset-password" && command !== "unlock") || !email) {
  console.error(USAGE);
  process.exit(2);
}
const request = { command, email } as AdminRequest;

function askDashboard(socket: string): Promise<AdminAnswer> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socket);
    let text = "";
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(JSON.stringify(request) + "\n"));
    conn.on("data", (chunk: string) => (text += chunk));
    conn.on("end", () => {
      try {
        resolve(JSON.parse(text) as AdminAnswer);
      } catch {
        reject(new Error("The dashboard gave no answer."));
      }
    });
    conn.on("error", reject);
  });
}

async function run(): Promise<AdminAnswer> {
  const socket = dataPaths.adminSocket();
  if (fs.existsSync(socket)) {
    try {
      return await askDashboard(socket);
    } catch {
      // a socket left by a dashboard that stopped: use the database directly
    }
  }
  const { DATABASE_URL, dataDir } = env();
  const database = await openDatabase(DATABASE_URL ? { databaseUrl: DATABASE_URL, poolSize: 1 } : { dataDir });
  try {
    await database.migrate();
    return await adminCommand(database.db, request);
  } finally {
    await database.close();
  }
}

run().then(
  (answer) => {
    if (answer.ok) console.log(answer.message);
    else console.error(answer.error);
    process.exit(answer.ok ? 0 : 1);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
