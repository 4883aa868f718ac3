"use client";

import { useQuery } from "@tanstack/react-query";
import type { ProjectOverview } from "@/lib/environments/overview";
import { queryKeys } from "@/components/query-keys";
import { FALLBACK_POLL_MS, useProjectEventsLive } from "@/components/projects/project-events";

/** The project's environments and activities, refetched on each of the project's events (polled only while the stream is down). */
export function useProjectOverview(projectId: string, initial: ProjectOverview, environment?: string) {
  const live = useProjectEventsLive();
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
    refetchInterval: (q) => (live ? false : q.state.data?.isBusy ? 1000 : FALLBACK_POLL_MS),
  });
}
