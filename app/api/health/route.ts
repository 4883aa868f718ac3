import { sql } from "drizzle-orm";
import { getDb } from "@/db/client";

/** Liveness for scripts and load balancers: 200 once the database answers. */
export async function GET() {
  try {
    await (await getDb()).execute(sql`select 1`);
    return Response.json({ ok: true });
  } catch {
    return Response.json({ ok: false, error: "The database does not answer." }, { status: 503 });
  }
}
