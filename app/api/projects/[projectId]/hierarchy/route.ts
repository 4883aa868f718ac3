import { projectRequest } from "@/lib/session/api-access";
import { getProjectOverview, listInactiveEnvironments } from "@/lib/environments/overview";
import { layoutHierarchy } from "@/lib/topology/hierarchy";

/**
 * The project's environment graph, laid out here (one pass over the tree). Folded, it needs only
 * the overview (inactive leaves come as counts); `?inactive=1` reads them to unfold them.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const expandInactive = new URL(request.url).searchParams.get("inactive") === "1";
  const [overview, unfolded] = await Promise.all([getProjectOverview(r.db, r.access), expandInactive ? listInactiveEnvironments(r.db, r.access) : []]);
  const shown = new Set(overview.environments.map((e) => e.id));
  const input = [...overview.environments, ...unfolded.filter((e) => !shown.has(e.id))].map((e) => ({
    id: e.id,
    name: e.name,
    title: e.title,
    type: e.type,
    status: e.status,
    parentId: e.parentId,
    busy: e.busy ? `${e.busy.state === "in_progress" ? "Running" : "Pending"}: ${e.busy.description}` : null,
    isNew: e.isNew,
  }));
  const started = performance.now();
  const layout = layoutHierarchy(input, { expandInactive, folded: new Map(overview.folded.map((f) => [f.parentId, f.count])) });
  const layoutMs = performance.now() - started;
  return Response.json({ layout, usage: overview.usage.label }, { headers: { "cache-control": "no-store", "server-timing": `layout;dur=${layoutMs.toFixed(2)}` } });
}
