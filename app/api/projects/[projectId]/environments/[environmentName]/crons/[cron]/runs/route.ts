import { requestCronRun } from "@/lib/environments/run-now";
import { runNowResponse } from "@/lib/session/api-access";

/** Run now through the API: one run of the cron as an activity (202 with it); who may and whether it can are checked as in the console. */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; cron: string }> }) {
  const { projectId, environmentName, cron } = await params;
  return runNowResponse(request, projectId, environmentName, (r) => requestCronRun(r.db, r.user, projectId, r.env.name, cron));
}
