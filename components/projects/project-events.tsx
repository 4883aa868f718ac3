"use client";

import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { queryKeys } from "@/components/query-keys";
import type { ProjectChange } from "@/lib/activities/notify";
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

/** What each kind of change makes a page fetch again, besides what the server renders (which every change renders again). */
const CHANGE_QUERIES: Record<ProjectChange, (projectId: string) => QueryKey[]> = {
  project: () => [queryKeys.projects()], // the title, in the header's project switcher
  deleted: () => [queryKeys.projects()],
  // Roles decide what each part may show and allow.
  members: (id) => [queryKeys.activityStream(id), queryKeys.overview(id), queryKeys.snapshots(id), queryKeys.hierarchy(id)],
  invitations: () => [],
  environment: (id) => [queryKeys.overview(id), queryKeys.hierarchy(id)],
  variables: (id) => [queryKeys.overview(id), queryKeys.hierarchy(id)], // "variables changed: redeploy to apply"
  snapshots: (id) => [queryKeys.snapshots(id)],
  // An environment's processes started, restarted, stopped or went into a crash loop: its page and topology say so.
  runtime: (id) => [queryKeys.overview(id), queryKeys.hierarchy(id)],
};

/**
 * One event stream per open project (GET /api/projects/<id>/events): the one way its pages learn
 * that something they show changed, whoever changed it (this browser, a push, another user).
 * When an activity changes — queued, started, a phase, progress, ended — every query showing
 * the project is refetched: the activity stream first, then the overview (header, buttons and
 * their reasons), the snapshot panel and the hierarchy graph; when one ends, or anything else of
 * the project changes (a `change` event: its title, members, an environment's settings,
 * variables…), the queries that show it and what the server rendered. Nothing polls while it is
 * connected; after a reconnect the page looks again at everything.
 */
export function ProjectEvents({ projectId, children }: { projectId: string; children: ReactNode }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource(`/api/projects/${encodeURIComponent(projectId)}/events`);
    let timer: ReturnType<typeof setTimeout> | null = null;
    let closed = false;
    let connected = false;
    const reportLive = (isLive: boolean) => {
      setLive(isLive);
      window.dispatchEvent(new CustomEvent("pwi:project-stream", { detail: { projectId, live: isLive } }));
    };
    // What the events since the last refresh asked for: the activity list and what shows it, the
    // server's render again (an activity ended: git facts, URLs, data sizes may have changed), and
    // the queries of each other change (which the server renders too).
    let activity = false;
    let renderAgain = false;
    const changes = new Set<ProjectChange>();
    // One refresh at a time: an event during one asks for one more after it. Invalidating a query
    // that is being fetched would abort that fetch in the browser, not on the server, which would
    // compute the project's overview again beside the first (three times over in a burst of events,
    // ahead of the next button's request).
    let refreshing = false;
    let again = false;
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
          const sawActivity = activity;
          const rerender = renderAgain || changes.size > 0;
          const keys = [...changes].flatMap((change) => CHANGE_QUERIES[change](projectId));
          activity = false;
          renderAgain = false;
          changes.clear();
          if (sawActivity) {
            window.dispatchEvent(new CustomEvent("pwi:project-activity", { detail: { projectId } }));
            // The activity list first, then the rest: sent together they queue behind one another on
            // the server, and the overview's busy marks were already set from the event itself.
            await queryClient.invalidateQueries({ queryKey: queryKeys.activityStream(projectId) }).catch(() => undefined);
            if (closed) return;
            keys.push(queryKeys.overview(projectId), queryKeys.snapshots(projectId), queryKeys.hierarchy(projectId));
          }
          const unique = [...new Map(keys.map((key) => [JSON.stringify(key), key])).values()];
          await Promise.all(unique.map((key) => queryClient.invalidateQueries({ queryKey: key }).catch(() => undefined)));
          if (closed) return;
          if (rerender) router.refresh();
        } while (again);
      } finally {
        refreshing = false;
      }
    };
    const soon = () => {
      timer ??= setTimeout(() => void refresh(), 30);
    };
    source.addEventListener("ready", () => {
      reportLive(true);
      // Whatever changed while the stream was down (on the first connection: since the server rendered the page).
      activity = true;
      if (connected) renderAgain = true; // a reconnection: what the server rendered may be old too
      connected = true;
      void refresh();
    });
    // Bursts (an activity starting: claimed, dirty, build) become one refetch.
    source.addEventListener("activity", (e) => {
      const event = JSON.parse((e as MessageEvent<string>).data) as ActivityEvent;
      activity = true;
      if (event.ended) renderAgain = true;
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
      soon();
    });
    source.addEventListener("change", (e) => {
      changes.add((JSON.parse((e as MessageEvent<string>).data) as { change: ProjectChange }).change);
      soon();
    });
    source.onerror = () => reportLive(false);
    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      source.close();
      reportLive(false);
    };
  }, [projectId, queryClient, router]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}
