import { getDb } from "@/db/client";
import { getSessionUser } from "@/lib/session/session";
import { listProjectsForUser } from "@/lib/auth/project-access";

/** The projects the signed-in user may see (the project switcher reads this). */
export async function GET() {
  const user = await getSessionUser();
  if (!user) return Response.json({ error: "Sign in first." }, { status: 401 });
  const projects = await listProjectsForUser(await getDb(), user);
  return Response.json(
    { projects: projects.map((p) => ({ id: p.id, title: p.title, plan: p.plan, region: p.region, memberCount: p.memberCount })) },
    { headers: { "cache-control": "no-store" } },
  );
}
