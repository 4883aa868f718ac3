import { getDb } from "@/db/client";
import { getRequestUser } from "@/lib/auth/request-user";
import { getEnvironmentByName } from "@/lib/environments/queries";
import { getProjectAccess } from "@/lib/projects/access";
import { listSnapshots, snapshotLimit } from "@/lib/snapshots/snapshots";
import { canSeeEnvironmentType, hasRole } from "@/lib/auth/permissions";

/** An environment's snapshots (newest first), with the running ones' progress, for the Backups panel. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const auth = await getRequestUser(request);
  if (!auth) return Response.json({ error: "Sign in first." }, { status: 401 });
  const { projectId, environmentName } = await params;
  const db = await getDb();
  const access = await getProjectAccess(db, auth.user, projectId);
  const env = access ? await getEnvironmentByName(db, access.project.id, decodeURIComponent(environmentName)) : null;
  if (!access || !env || !canSeeEnvironmentType(access, env.type)) return Response.json({ error: "Not found." }, { status: 404 });
  const [list, limit] = await Promise.all([listSnapshots(db, access, env), snapshotLimit(db, access, env)]);
  return Response.json(
    { snapshots: list, replaces: limit.replaces, canManage: hasRole(access.environmentRoles[env.type], "admin") },
    { headers: { "cache-control": "no-store" } },
  );
}
