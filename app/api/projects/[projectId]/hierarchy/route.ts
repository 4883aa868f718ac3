import { projectRequest } from "@/lib/session/api-access";
import { getProjectOverview, listInactiveEnvironments } from "@/lib/environments/overview";
import { layoutHierarchy } from "@/lib/topology/hierarchy";

/** The project's environment graph, laid out here (one pass over the tree): `?inactive=1` unfolds inactive ones. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const [overview, folded] = await Promise.all([getProjectOverview(r.db, r.access), listInactiveEnvironments(r.db, r.access)]);
  const shown = new Set(overview.environments.map((e) => e.id));
  const input = [...overview.environments, ...folded.filter((e) => !shown.has(e.id))].map((e) => ({
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
