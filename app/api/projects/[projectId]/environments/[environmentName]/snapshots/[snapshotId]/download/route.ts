import { domainErrorResponse, environmentRequest } from "@/lib/session/api-access";
import { openSnapshotDownload } from "@/lib/snapshots/snapshots";

export const dynamic = "force-dynamic";

/** Download a backup: one tar of its manifest (sizes and sha256 of every file) and its data archive, streamed. Admins of the environment's type. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; snapshotId: string }> }) {
  const { projectId, environmentName, snapshotId } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  try {
    const download = await openSnapshotDownload(r.db, r.access, r.env, snapshotId);
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
    return domainErrorResponse(e);
  }
}
