import type { ProjectOverview } from "@/lib/environments/overview";
import type { HierarchyLayout } from "@/lib/topology/hierarchy";
import { queryKeys } from "@/components/query-keys";

/**
 * The hierarchy graph's layout, as a query the graph reads and the environments view starts
 * beside the graph's code (not after it): one definition, so the two share one fetch. Plain
 * module: it does not load React Flow.
 */
export function hierarchyQuery(projectId: string, overview: ProjectOverview, showInactive: boolean) {
  // What the graph draws of each environment; a change fetches a new layout.
  const version = overview.environments.map((e) => `${e.id}:${e.status}:${e.parentId}:${e.title}:${e.busy?.state ?? ""}:${e.busy?.description ?? ""}`).join("|");
  return {
    queryKey: queryKeys.hierarchy(projectId, showInactive, version),
    queryFn: async (): Promise<{ layout: HierarchyLayout; usage: string }> => {
      const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/hierarchy${showInactive ? "?inactive=1" : ""}`, { cache: "no-store" });
      if (!res.ok) throw new Error(`Could not load the graph (${res.status}).`);
      return res.json();
    },
    staleTime: Infinity,
  };
}
