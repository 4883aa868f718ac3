"use client";

import { useQuery } from "@tanstack/react-query";
import type { EnvironmentView, ProjectOverview } from "@/lib/environments/overview";
import { queryKeys } from "@/components/query-keys";
import { FALLBACK_POLL_MS, useProjectEventsLive } from "@/components/projects/project-events";
import { useHydrated } from "@/components/ui/use-hydrated";

/** The project's environments and activities, refetched on each of the project's events (polled only while the stream is down). */
/** The one fetcher of a project's overview (for `environment`, its allowed actions too). */
export async function fetchProjectOverview(projectId: string, environment?: string | null): Promise<ProjectOverview> {
  const qs = environment ? `?environment=${encodeURIComponent(environment)}` : "";
  const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/overview${qs}`, { cache: "no-store" });
  if (!res.ok) throw new Error(`Could not load ${environment ?? "the project's environments"} (${res.status}).`);
  return res.json();
}

/** The project's inactive environments the overview folds (counted, not listed): loaded where a page needs them all. */
export function useInactiveEnvironments(projectId: string) {
  return useQuery({
    queryKey: queryKeys.inactiveEnvironments(projectId),
    queryFn: async (): Promise<EnvironmentView[]> => {
      const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/environments?status=inactive`, { cache: "no-store" });
      if (!res.ok) throw new Error(`Could not load the inactive environments (${res.status}).`);
      return ((await res.json()) as { environments: EnvironmentView[] }).environments;
    },
  });
}

export function useProjectOverview(projectId: string, initial: ProjectOverview, environment?: string): { data: ProjectOverview } {
  const live = useProjectEventsLive();
  const hydrated = useHydrated();
  const query = useQuery({
    queryKey: queryKeys.overview(projectId, environment ?? null),
    queryFn: () => fetchProjectOverview(projectId, environment),
    initialData: initial,
    // With the project's event stream open, what the server just rendered stays true until an
    // event invalidates it (and the stream invalidates everything when it (re)connects): no
    // second fetch of the same overview on every navigation. Without it: always refetch.
    staleTime: live ? Infinity : 0,
    refetchInterval: (q) => (live ? false : q.state.data?.isBusy ? 1000 : FALLBACK_POLL_MS),
  });
  // Hydrating: what the server rendered (the cache may already hold a newer overview).
  return { data: hydrated ? query.data : initial };
}
