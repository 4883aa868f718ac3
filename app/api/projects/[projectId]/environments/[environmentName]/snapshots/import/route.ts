import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { env as appEnv } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import { environmentChangeRequest } from "@/lib/session/api-access";
import { ImportRefused, importBackup } from "@/lib/snapshots/backup-import";

export const dynamic = "force-dynamic";

const STATUS: Record<DomainError["code"], number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, locked: 423 };

/**
 * Import a backup: the body is a `.backup.tar` as Download gives it (`application/x-tar`). It is
 * checked member by member against its manifest before it is kept, as a complete snapshot of this
 * environment (201), which Restore then puts in place or into a new environment. Admins of the
 * environment's type; at most BACKUP_IMPORT_MAX_MB (413 beyond); a damaged or hostile archive: 400.
 */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  const r = await environmentChangeRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  if (!request.body) return Response.json({ error: "Send the .backup.tar as the request's body." }, { status: 400 });
  const declared = request.headers.get("content-length");
  try {
    const { snapshot, note } = await importBackup(r.db, r.user, r.access, r.env, Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>), {
      maxBytes: appEnv().BACKUP_IMPORT_MAX_MB * 1024 * 1024,
      declaredBytes: declared !== null && /^[0-9]+$/.test(declared) ? Number(declared) : null,
    });
    return Response.json({ snapshot: { id: snapshot.id, deployedCommit: snapshot.deployedCommit, sizeBytes: snapshot.sizeBytes, fileCount: snapshot.fileCount }, note }, { status: 201 });
  } catch (e) {
    if (e instanceof ImportRefused) return Response.json({ error: e.message }, { status: e.status });
    if (e instanceof DomainError) return Response.json({ error: e.message }, { status: STATUS[e.code] });
    throw e;
  }
}
