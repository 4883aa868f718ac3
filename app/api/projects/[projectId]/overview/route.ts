import { projectRequest, visibleEnvironment } from "@/lib/session/api-access";
import { getProjectOverview } from "@/lib/environments/overview";

/** The project's environments (with allowed actions for `?environment=`) and activities, for live updates. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const envName = new URL(request.url).searchParams.get("environment");
  const env = envName ? await visibleEnvironment(r, envName) : null;
  if (envName && !env) return Response.json({ error: "Not found." }, { status: 404 });
  const overview = await getProjectOverview(r.db, r.access, { environmentId: env?.id, withActivities: true });
  return Response.json(overview, { headers: { "cache-control": "no-store" } });
}
