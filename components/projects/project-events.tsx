"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { queryKeys } from "@/components/query-keys";
import type { ProjectOverview } from "@/lib/environments/overview";
import { busyReason } from "@/lib/environments/rules";

/** How often a page looks again by itself while its event stream is down (never while it is up). */
export const FALLBACK_POLL_MS = 15_000;

const LiveContext = createContext(false);

interface ActivityEvent {
  id: string;
  state: "pending" | "in_progress" | "complete" | "cancelled";
  environmentId: string | null;
  description: string;
  ended: boolean;
}

/** Whether the project's event stream is connected: queries then wait for events instead of polling. */
export function useProjectEventsLive(): boolean {
  return useContext(LiveContext);
}

/**
 * One event stream per open project (GET /api/projects/<id>/events). When an activity
 * changes — queued, started, a phase, progress, ended, from this browser, a push or another
 * user — every query showing the project is refetched: the activity stream first, then the
 * overview (header, buttons and their reasons), the snapshot panel and the hierarchy graph.
 */
export function ProjectEvents({ projectId, children }: { projectId: string; children: ReactNode }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource(`/api/projects/${encodeURIComponent(projectId)}/events`);
    let timer: ReturnType<typeof setTimeout> | null = null;
    let closed = false;
    // One refresh at a time: an event during one asks for one more after it. Invalidating a query
    // that is being fetched would abort that fetch in the browser, not on the server, which would
    // compute the project's overview again beside the first (three times over in a burst of events,
    // ahead of the next button's request).
    let refreshing = false;
    let again = false;
    let ended = false;
    const refresh = async () => {
      timer = null;
      if (refreshing) {
        again = true;
        return;
      }
      refreshing = true;
      try {
        do {
          again = false;
          // An activity ended: what the page rendered on the server (git facts, URLs, data sizes) may have changed.
          const wasEnded = ended;
          ended = false;
          window.dispatchEvent(new CustomEvent("pwi:project-activity", { detail: { projectId } }));
          // The activity list first, then the rest: sent together they queue behind one another on
          // the server, and the overview's busy marks were already set from the event itself.
          await queryClient.invalidateQueries({ queryKey: queryKeys.activityStream(projectId) }).catch(() => undefined);
          if (closed) return;
          await Promise.all(
            [queryKeys.overview(projectId), queryKeys.snapshots(projectId), queryKeys.hierarchy(projectId)].map((key) => queryClient.invalidateQueries({ queryKey: key }).catch(() => undefined)),
          );
          if (closed) return;
          if (wasEnded) router.refresh();
        } while (again);
      } finally {
        refreshing = false;
      }
    };
    source.addEventListener("ready", () => {
      setLive(true);
      void refresh(); // whatever changed while the stream was down
    });
    // Bursts (an activity starting: claimed, dirty, build) become one refetch.
    source.addEventListener("activity", (e) => {
      const event = JSON.parse((e as MessageEvent<string>).data) as ActivityEvent;
      if (event.ended) ended = true;
      // Shown at once (a queued or running activity makes its environment busy); the refetch below reconciles.
      if (!event.ended && event.environmentId) {
        queryClient.setQueriesData<ProjectOverview>({ queryKey: queryKeys.overview(projectId) }, (old) =>
          old
            ? {
                ...old,
                isBusy: true,
                environments: old.environments.map((env) => {
                  if (env.id !== event.environmentId || env.busy?.state === "in_progress") return env;
                  const busy = { state: event.state === "in_progress" ? ("in_progress" as const) : ("pending" as const), description: event.description };
                  // Its buttons say busy at once too, as the server's rules will (Edit stays as it was).
                  const reason = busyReason(env, busy)!;
                  // Allowed actions become busy; ones already refused because it was pending say it runs now.
                  const was = env.busy ? busyReason(env, env.busy) : null;
                  const actions = env.actions
                    ? (Object.fromEntries(
                        Object.entries(env.actions).map(([action, p]) => [action, action === "edit" || (!p.allowed && p.reason !== was) ? p : { allowed: false, reason }]),
                      ) as typeof env.actions)
                    : null;
                  return { ...env, busy, actions };
                }),
              }
            : old,
        );
      }
      timer ??= setTimeout(() => void refresh(), 30);
    });
    source.onerror = () => setLive(false);
    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      source.close();
      setLive(false);
    };
  }, [projectId, queryClient, router]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}
