import { requestOperationRun } from "@/lib/environments/run-now";
import { runNowResponse } from "@/lib/session/api-access";

/** A runtime operation through the API: one run as an activity (202 with it); the operation's role is checked as in the console. */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; operation: string }> }) {
  const { projectId, environmentName, operation } = await params;
  return runNowResponse(request, projectId, environmentName, (r) => requestOperationRun(r.db, r.user, projectId, r.env.name, operation));
}
