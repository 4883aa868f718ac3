import { changeResponse } from "@/lib/session/api-access";
import { importBackup } from "@/lib/snapshots/import-backup";

export const dynamic = "force-dynamic";

/**
 * Import a backup: the request's body is a `.backup.tar` as Download gives it (a tar of
 * manifest.json and data.tar), streamed; `?filename=` names it in the log, `?replaceOldest=1`
 * agrees to delete the oldest manual backup at the project's limit. Every entry is proved
 * against the manifest before anything is listed; 202 with the backup activity that archives it,
 * 400 with a sentence for an archive that is not whole, 413 over the size limit. Admins of the
 * environment's type. This path is outside proxy.ts's matcher, so the body reaches this handler
 * as it arrives (the proxy would buffer at most 10 MB of it).
 */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  const url = new URL(request.url);
  const length = request.headers.get("content-length");
  return changeResponse(request, projectId, environmentName, null, async (r) =>
    (
      await importBackup(r.db, r.user, projectId, r.env.name, request.body, {
        filename: url.searchParams.get("filename") ?? "",
        replaceOldest: url.searchParams.get("replaceOldest") === "1",
        contentLength: length !== null && /^[0-9]{1,16}$/.test(length) ? Number(length) : null,
        signal: request.signal,
      })
    ).activity,
  );
}
