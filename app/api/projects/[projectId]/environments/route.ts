import { projectRequest } from "@/lib/session/api-access";
import { listInactiveEnvironments } from "@/lib/environments/overview";

/** `?status=inactive`: the inactive environments the folded tree counts, loaded when the user unfolds them. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const status = new URL(request.url).searchParams.get("status");
  if (status !== "inactive") return Response.json({ error: "Ask for ?status=inactive: active environments come with the overview." }, { status: 400 });
  return Response.json({ environments: await listInactiveEnvironments(r.db, r.access) }, { headers: { "cache-control": "no-store" } });
}
