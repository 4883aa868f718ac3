import { toActivityView } from "@/lib/activities/activity-view";
import { requestCronRun } from "@/lib/environments/run-now";
import { domainErrorResponse, environmentChangeRequest } from "@/lib/session/api-access";

/** Run now through the API: one run of the cron as an activity (202 with it); who may and whether it can are checked as in the console. */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; cron: string }> }) {
  const { projectId, environmentName, cron } = await params;
  const r = await environmentChangeRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  try {
    const activity = await requestCronRun(r.db, r.user, projectId, r.env.name, cron);
    return Response.json({ activity: toActivityView(activity) }, { status: 202, headers: { location: `/api/projects/${encodeURIComponent(projectId)}/activities/${activity.id}/log` } });
  } catch (err) {
    return domainErrorResponse(err);
  }
}
