import { projectRequest } from "@/lib/session/api-access";
import { getProjectOverview } from "@/lib/environments/overview";
import { layoutHierarchy } from "@/lib/topology/hierarchy";

/** The project's environment graph, laid out here (one pass over the tree): `?inactive=1` unfolds inactive ones. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const overview = await getProjectOverview(r.db, r.access);
  const input = overview.environments.map((e) => ({
    id: e.id,
    name: e.name,
    title: e.title,
    type: e.type,
    status: e.status,
    parentId: e.parentId,
    busy: e.busy ? `${e.busy.state === "in_progress" ? "Running" : "Pending"}: ${e.busy.description}` : null,
  }));
  const expandInactive = new URL(request.url).searchParams.get("inactive") === "1";
  const started = performance.now();
  const layout = layoutHierarchy(input, { expandInactive });
  const layoutMs = performance.now() - started;
  const inactive = input.filter((e) => e.status === "inactive").length;
  return Response.json({ layout, usage: overview.usage.label, inactive }, { headers: { "cache-control": "no-store", "server-timing": `layout;dur=${layoutMs.toFixed(2)}` } });
}
