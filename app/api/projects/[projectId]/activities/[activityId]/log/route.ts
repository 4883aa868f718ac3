import { getDb } from "@/db/client";
import { getActivityLog } from "@/lib/activities/queue";
import { getSessionUser } from "@/lib/auth/session";
import { getVisibleActivity } from "@/lib/environments/queries";
import { toActivityView } from "@/lib/environments/overview";
import { getProjectAccess } from "@/lib/projects/access";

/** An activity's state and its log lines after `?after=N` (NDJSON-friendly JSON). */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; activityId: string }> }) {
  const user = await getSessionUser();
  if (!user) return Response.json({ error: "Sign in first." }, { status: 401 });
  const { projectId, activityId } = await params;
  const db = await getDb();
  const access = await getProjectAccess(db, user, projectId);
  const activity = access ? await getVisibleActivity(db, access, activityId) : null;
  if (!access || !activity) return Response.json({ error: "Not found." }, { status: 404 });
  const after = Math.max(0, Number.parseInt(new URL(request.url).searchParams.get("after") ?? "0", 10) || 0);
  const lines = await getActivityLog(db, activity.id, after, 5000);
  return Response.json(
    { activity: toActivityView(activity), lines: lines.map((l) => ({ n: l.seq, at: l.at.toISOString(), stream: l.stream, section: l.section, text: l.text })) },
    { headers: { "cache-control": "no-store" } },
  );
}
