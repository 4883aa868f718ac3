import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import { queryKeys } from "@/components/query-keys";
import type { ActivityStreamPage, StreamActivity } from "@/lib/environments/activity-stream";

/**
 * Puts an activity that was just queued (the action's answer) at the end of the pending list of
 * every cached activity stream of the project that shows it — the project's, and those of the
 * environments it occupies — unless a filter would hide it or it is there already. The next
 * refetch (the project's event stream asks for one) replaces it with the server's list.
 */
export function showQueuedActivity(queryClient: QueryClient, projectId: string, activity: StreamActivity, environments: readonly string[]): void {
  for (const [key, data] of queryClient.getQueriesData<InfiniteData<ActivityStreamPage>>({ queryKey: queryKeys.activityStream(projectId) })) {
    const [, , environment, filters] = key as readonly [string, string, string | null | undefined, { type?: string; state?: string; result?: string } | null | undefined];
    if (!data?.pages[0]) continue;
    if (environment && !environments.includes(environment)) continue;
    if (filters?.result || (filters?.type && filters.type !== activity.type) || (filters?.state && filters.state !== activity.state)) continue;
    if (data.pages.some((p) => [...p.running, ...p.pending, ...p.recent].some((a) => a.id === activity.id))) continue;
    const [first, ...rest] = data.pages;
    queryClient.setQueryData<InfiniteData<ActivityStreamPage>>(key, { ...data, pages: [{ ...first, pending: [...first.pending, activity] }, ...rest] });
  }
}
