"use client";

import { useQuery } from "@tanstack/react-query";
import type { ProjectOverview } from "@/lib/environments/overview";
import { queryKeys } from "@/components/query-keys";

/** The project's environments and activities; refreshes every second while something runs. */
export function useProjectOverview(projectId: string, initial: ProjectOverview, environment?: string) {
  return useQuery({
    queryKey: queryKeys.overview(projectId, environment ?? null),
    queryFn: async (): Promise<ProjectOverview> => {
      const qs = environment ? `?environment=${encodeURIComponent(environment)}` : "";
      const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/overview${qs}`);
      if (!res.ok) throw new Error(`Could not refresh (${res.status})`);
      return res.json();
    },
    initialData: initial,
    staleTime: 0,
    refetchInterval: (q) => (q.state.data?.isBusy ? 1000 : 10_000),
  });
}
