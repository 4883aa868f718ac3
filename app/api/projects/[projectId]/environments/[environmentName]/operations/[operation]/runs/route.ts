import { toActivityView } from "@/lib/activities/activity-view";
import { requestOperationRun } from "@/lib/environments/run-now";
import { domainErrorResponse, environmentChangeRequest } from "@/lib/session/api-access";

/** A runtime operation through the API: one run as an activity (202 with it); the operation's role is checked as in the console. */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; operation: string }> }) {
  const { projectId, environmentName, operation } = await params;
  const r = await environmentChangeRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  try {
    const activity = await requestOperationRun(r.db, r.user, projectId, r.env.name, operation);
    return Response.json({ activity: toActivityView(activity) }, { status: 202, headers: { location: `/api/projects/${encodeURIComponent(projectId)}/activities/${activity.id}/log` } });
  } catch (err) {
    return domainErrorResponse(err);
  }
}
