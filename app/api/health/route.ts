import { sql } from "drizzle-orm";
import { getDb } from "@/db/client";

/** Liveness for scripts and load balancers: 200 once the database answers; how long it took to answer is in Server-Timing. */
export async function GET() {
  const t0 = performance.now();
  try {
    await (await getDb()).execute(sql`select 1`);
    return Response.json({ ok: true }, { headers: { "server-timing": `db;dur=${(performance.now() - t0).toFixed(1)}` } });
  } catch {
    return Response.json({ ok: false, error: "The database does not answer." }, { status: 503 });
  }
}
