import { DatabaseDumpFailed, openDatabaseDownload } from "@/lib/environments/database-download";
import { DomainError } from "@/lib/errors";
import { environmentRequest } from "@/lib/session/api-access";

export const dynamic = "force-dynamic";

const STATUS: Record<DomainError["code"], number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, locked: 423, too_large: 413, length_required: 411 };

/**
 * Download database: a dump of one relationship's database (`mariadb-dump` / `pg_dump`), streamed
 * as it is made, as `application/sql`, or with `?gzip=1` gzip-compressed (`.sql.gz`). Admins of
 * the environment's type only (403 with a sentence for the others who see it; 404 for everyone
 * else); 400 for a name that cannot be a relationship or one that leads to no database, 404 for a
 * relationship the deployed configuration does not have, 409 when its service is not running here.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; relationship: string }> }) {
  const { projectId, environmentName, relationship } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  let name: string;
  try {
    name = decodeURIComponent(relationship);
  } catch {
    return Response.json({ error: "The relationship's name is not a valid address (a malformed %-escape)." }, { status: 400 });
  }
  const gzip = new URL(request.url).searchParams.get("gzip");
  if (gzip !== null && gzip !== "0" && gzip !== "1") return Response.json({ error: "gzip must be 1 (compressed) or 0." }, { status: 400 });
  try {
    const download = await openDatabaseDownload(r.db, r.access, r.env, name, { gzip: gzip === "1", signal: request.signal });
    return new Response(download.body, {
      headers: {
        "content-type": download.contentType,
        "content-disposition": `attachment; filename="${download.filename}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-accel-buffering": "no",
      },
    });
  } catch (e) {
    if (e instanceof DomainError) return Response.json({ error: e.message }, { status: STATUS[e.code] });
    if (e instanceof DatabaseDumpFailed) return Response.json({ error: e.message }, { status: 502 });
    throw e;
  }
}
