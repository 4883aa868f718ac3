import { DomainError } from "@/lib/errors";
import { environmentRequest } from "@/lib/session/api-access";
import { openSnapshotDownload } from "@/lib/snapshots/snapshots";

export const dynamic = "force-dynamic";

const STATUS: Record<DomainError["code"], number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, locked: 423 };

/** Download a backup: one tar of its manifest (sizes and sha256 of every file) and its data archive, streamed. Admins of the environment's type. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; snapshotId: string }> }) {
  const { projectId, environmentName, snapshotId } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  try {
    const download = await openSnapshotDownload(r.db, r.access, r.env, snapshotId, request.signal);
    return new Response(download.body, {
      headers: {
        "content-type": "application/x-tar",
        "content-disposition": `attachment; filename="${download.filename}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-accel-buffering": "no",
      },
    });
  } catch (e) {
    if (e instanceof DomainError) return Response.json({ error: e.message }, { status: STATUS[e.code] });
    throw e;
  }
}
