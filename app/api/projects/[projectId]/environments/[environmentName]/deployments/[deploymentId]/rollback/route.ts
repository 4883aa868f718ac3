import { requestRollback } from "@/lib/environments/deployments";
import { runNowResponse } from "@/lib/session/api-access";

/** Roll back to one of the environment's deployments (its kept build, no build): 202 with the activity; who may and whether it can are checked as in the console. */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; deploymentId: string }> }) {
  const { projectId, environmentName, deploymentId } = await params;
  return runNowResponse(request, projectId, environmentName, (r) => requestRollback(r.db, r.user, projectId, r.env.name, deploymentId));
}
