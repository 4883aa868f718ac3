import { listDeployments } from "@/lib/environments/deployments";
import { environmentRequest } from "@/lib/session/api-access";

/** An environment's last deployments, newest first: commit, when, what made it and who, whether its build is kept for Roll back (and for this member, why not). */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  return Response.json({ environment: r.env.name, deployments: await listDeployments(r.db, r.access, r.env) }, { headers: { "cache-control": "no-store" } });
}
