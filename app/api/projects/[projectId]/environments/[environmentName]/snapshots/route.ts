import { environmentRequest } from "@/lib/session/api-access";
import { hasRole } from "@/lib/auth/permissions";
import { listSnapshots, snapshotLimit } from "@/lib/snapshots/snapshots";

/** An environment's snapshots (newest first), with the running ones' progress, for the Backups panel. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  const { db, access, env } = r;
  const [list, limit] = await Promise.all([listSnapshots(db, access, env), snapshotLimit(db, access, env)]);
  return Response.json(
    { snapshots: list, replaces: limit.replaces, canManage: hasRole(access.environmentRoles[env.type], "admin") },
    { headers: { "cache-control": "no-store" } },
  );
}
