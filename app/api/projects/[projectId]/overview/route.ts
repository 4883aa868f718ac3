import { getDb } from "@/db/client";
import { getSessionUser } from "@/lib/auth/session";
import { getEnvironmentByName } from "@/lib/environments/queries";
import { getProjectOverview } from "@/lib/environments/overview";
import { getProjectAccess } from "@/lib/projects/access";

/** The project's environments (with allowed actions) and activities, for live updates. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const user = await getSessionUser();
  if (!user) return Response.json({ error: "Sign in first." }, { status: 401 });
  const db = await getDb();
  const access = await getProjectAccess(db, user, (await params).projectId);
  if (!access) return Response.json({ error: "Not found." }, { status: 404 });
  const envName = new URL(request.url).searchParams.get("environment");
  const env = envName ? await getEnvironmentByName(db, access.project.id, envName) : null;
  if (envName && !env) return Response.json({ error: "Not found." }, { status: 404 });
  const overview = await getProjectOverview(db, access, { environmentId: env?.id });
  return Response.json(overview, { headers: { "cache-control": "no-store" } });
}
