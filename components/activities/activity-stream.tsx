"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import type { ActivityStreamPage, StreamActivity } from "@/lib/environments/activity-stream";
import { ActivityStateBadge, formatDuration } from "./activity-state";
import { formatDateTime } from "@/components/projects/format";
import { queryKeys } from "@/components/query-keys";
import { FALLBACK_POLL_MS, useProjectEventsLive } from "@/components/projects/project-events";
import { useHydrated } from "@/components/ui/use-hydrated";

interface Filters {
  type: string;
  state: string;
  result: string;
  /** "1": ended cron runs too (folded by default). */
  crons: string;
}

function durations(a: StreamActivity): string {
  const parts: string[] = [];
  if (a.waitMs !== null && a.waitMs >= 1000) parts.push(`waited ${formatDuration(a.waitMs)}`);
  if (a.buildMs !== null) parts.push(a.buildReused ? "build reused" : `build ${formatDuration(a.buildMs)}`);
  if (a.deployMs !== null) parts.push(`deploy ${formatDuration(a.deployMs)}`);
  if (a.startedAt && a.completedAt) parts.push(`total ${formatDuration(Date.parse(a.completedAt) - Date.parse(a.startedAt))}`);
  return parts.join(" · ");
}

/**
 * Running first, then pending (in the order they will run), then recent ones with
 * "Show older" (a keyset cursor, fast at any depth); filters by type, state and result.
 * Follows the project's event stream; without it, polls (every second while something runs).
 */
export function ActivityStream({
  projectId,
  environment,
  initial,
  typeLabels,
}: {
  projectId: string;
  environment?: string;
  initial: ActivityStreamPage;
  /** Each kind of activity and its label, for the type filter (from the server: the kinds' schemas stay out of the browser). */
  typeLabels: readonly (readonly [string, string])[];
}) {
  // The filters are kept in the address too (?type=&state=&result=), so a reload or a shared link keeps them.
  const searchParams = useSearchParams();
  const [filters, setFilterState] = useState<Filters>(() => ({ type: searchParams.get("type") ?? "", state: searchParams.get("state") ?? "", result: searchParams.get("result") ?? "", crons: searchParams.get("crons") === "1" ? "1" : "" }));
  const setFilters = (next: Filters) => {
    setFilterState(next);
    const url = new URL(window.location.href);
    for (const [key, value] of Object.entries(next)) {
      if (value) url.searchParams.set(key, value);
      else url.searchParams.delete(key);
    }
    window.history.replaceState(window.history.state, "", url);
  };
  const live = useProjectEventsLive();
  const isDefault = !filters.type && !filters.state && !filters.result && !filters.crons;
  const query = useInfiniteQuery({
    queryKey: queryKeys.activityStream(projectId, environment ?? null, filters),
    queryFn: async ({ pageParam }): Promise<ActivityStreamPage> => {
      const qs = new URLSearchParams({ ...(environment ? { environment } : {}), ...filters, ...(pageParam ? { cursor: pageParam } : {}) });
      const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/activities?${qs}`, { cache: "no-store" });
      if (!res.ok) throw new Error(((await res.json().catch(() => null)) as { error?: string } | null)?.error ?? `Could not load activities (${res.status}).`);
      return res.json();
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    initialData: isDefault ? { pages: [initial], pageParams: [""] } : undefined,
    // Live: the project's event stream refetches on every change. Without it: poll.
    refetchInterval: (q) => {
      if (live) return false;
      const first = q.state.data?.pages[0];
      return first && (first.running.length > 0 || first.pending.length > 0) ? 1000 : FALLBACK_POLL_MS;
    },
  });
  // Hydrating: what the server rendered (the cache may already hold a newer stream).
  // Its fetch state too: an event heard before this part hydrates invalidates the query, and the
  // render then reports a fetch on its way ("Updating…") that the server's HTML does not have (#418).
  const hydrated = useHydrated();
  const asServer = !hydrated && isDefault;
  const pages = asServer ? [initial] : query.data?.pages;
  const isUpdating = !asServer && query.isFetching && !query.isFetchingNextPage;
  const error = asServer ? null : query.error;
  const hasOlder = asServer ? Boolean(initial.nextCursor) : query.hasNextPage;
  const first = pages?.[0];
  const recent = pages?.flatMap((p) => p.recent) ?? [];
  const set = (key: keyof Filters) => (e: React.ChangeEvent<HTMLSelectElement>) => setFilters({ ...filters, [key]: e.target.value });
  const empty = first && first.running.length + first.pending.length + recent.length === 0;

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2 text-sm" role="group" aria-label="Filter activities">
        <select aria-label="Type" value={filters.type} onChange={set("type")} className="rounded-md border border-border bg-surface px-2 py-1">
          <option value="">All types</option>
          {typeLabels.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <select aria-label="State" value={filters.state} onChange={set("state")} className="rounded-md border border-border bg-surface px-2 py-1">
          <option value="">All states</option>
          <option value="in_progress">Running</option>
          <option value="pending">Pending</option>
          <option value="complete">Complete</option>
          <option value="cancelled">Cancelled</option>
        </select>
        <select aria-label="Result" value={filters.result} onChange={set("result")} className="rounded-md border border-border bg-surface px-2 py-1">
          <option value="">All results</option>
          <option value="success">Success</option>
          <option value="failure">Failure</option>
        </select>
        <label className="flex items-center gap-1.5" title="Cron runs that ended are folded: a cron every few minutes would bury everything else. Running and waiting ones always show.">
          <input type="checkbox" checked={filters.crons === "1" || filters.type === "environment.cron"} disabled={filters.type === "environment.cron"} onChange={(e) => setFilters({ ...filters, crons: e.target.checked ? "1" : "" })} />
          Show cron runs
        </label>
        {!isDefault ? (
          <button type="button" className="text-accent hover:underline" onClick={() => setFilters({ type: "", state: "", result: "", crons: "" })}>
            Clear filters
          </button>
        ) : null}
        {isUpdating ? <span className="text-xs text-muted">Updating…</span> : null}
      </div>
      {error ? (
        <p role="alert" className="text-sm text-danger">
          {error.message}
        </p>
      ) : null}
      {!first ? <p className="text-sm text-muted">Loading activities…</p> : null}
      {empty ? <p className="text-sm text-muted">{isDefault ? "No activity yet." : "No activity matches these filters."}</p> : null}
      {first && first.running.length > 0 ? <Group label="Running" items={first.running} projectId={projectId} showEnvironment={!environment} /> : null}
      {first && first.pending.length > 0 ? <Group label="Pending" items={first.pending} projectId={projectId} showEnvironment={!environment} /> : null}
      {recent.length > 0 ? <Group label="Recent" items={recent} projectId={projectId} showEnvironment={!environment} /> : null}
      {hasOlder ? (
        <button
          type="button"
          className="rounded-md border border-border px-3 py-1.5 text-sm hover:bg-surface-muted disabled:opacity-60"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          {query.isFetchingNextPage ? "Loading…" : "Show older activities"}
        </button>
      ) : null}
    </div>
  );
}

function Group({ label, items, projectId, showEnvironment }: { label: string; items: StreamActivity[]; projectId: string; showEnvironment: boolean }) {
  return (
    <section aria-label={`${label} activities`}>
      <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted">{label}</h3>
      <ul className="divide-y divide-border rounded-lg border border-border bg-surface" aria-label="Activities">
        {items.map((a) => (
          <li key={a.id}>
            <Link href={`/projects/${projectId}/activities/${a.id}`} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm hover:bg-surface-muted">
              <ActivityStateBadge activity={a} />
              <span className="font-medium">{a.description}</span>
              {showEnvironment ? <span className="font-mono text-xs text-muted">{a.environmentName ?? "project"}</span> : null}
              {a.state === "in_progress" && a.phase ? <span className="text-xs text-muted">{a.phase === "build" ? "building" : "deploying"}</span> : null}
              {a.state === "in_progress" && a.progress !== null ? <span className="text-xs text-muted">{a.progress}%</span> : null}
              <span className="ml-auto text-xs text-muted">
                {durations(a) ? `${durations(a)} · ` : ""}
                {a.createdBy ? `${a.createdBy} · ` : ""}
                <time dateTime={a.createdAt}>{formatDateTime(new Date(a.createdAt))}</time>
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
