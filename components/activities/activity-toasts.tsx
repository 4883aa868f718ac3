"use client";

import Link from "next/link";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import type { ActivityStateView } from "@/lib/environments/activity-states";

interface Watched {
  projectId: string;
  activityId: string;
}

interface Toast {
  id: string;
  projectId: string;
  description: string;
  outcome: "success" | "failure" | "cancelled";
}

const STORAGE_KEY = "pwi.watched-activities";
/** How often activities are looked at while their project's event stream is not open on this page. */
const POLL_MS = 2_000;
const TOAST_MS = 12_000;

const WatchContext = createContext<(w: Watched) => void>(() => {});

/** Call with an activity the user just started: a notice appears when it ends. */
export function useWatchActivity() {
  return useContext(WatchContext);
}

function readWatched(): Watched[] {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "[]") as Watched[];
    return Array.isArray(parsed) ? parsed.slice(-20) : [];
  } catch {
    return [];
  }
}

/**
 * Notices for activities the user started: when one ends, a toast says how, with a link
 * to its log. Survives navigation and reloads (sessionStorage). Looks when their project's
 * event stream says an activity changed; polls (every 2 seconds, one request for all of
 * them) only while one of them belongs to a project whose stream is not open on this page
 * (another project's page, the project list, the account, a stream down).
 */
export function ActivityToasts({ children }: { children: ReactNode }) {
  const [watched, setWatched] = useState<Watched[]>([]);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [liveProjects, setLiveProjects] = useState<ReadonlySet<string>>(() => new Set());

  // Which projects' event streams are open (components/projects/project-events.tsx says so).
  useEffect(() => {
    const onStream = (e: Event) => {
      const { projectId, live } = (e as CustomEvent<{ projectId: string; live: boolean }>).detail;
      setLiveProjects((prev) => {
        if (prev.has(projectId) === live) return prev;
        const next = new Set(prev);
        if (live) next.add(projectId);
        else next.delete(projectId);
        return next;
      });
    };
    window.addEventListener("pwi:project-stream", onStream);
    return () => window.removeEventListener("pwi:project-stream", onStream);
  }, []);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- sessionStorage is only readable after mount
    setWatched(readWatched());
  }, []);
  const save = (next: Watched[]) => {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    return next;
  };
  const watch = useCallback(
    (w: Watched) => setWatched((prev) => (prev.some((p) => p.activityId === w.activityId) ? prev : save([...prev, w].slice(-20)))),
    [],
  );

  const watchedKey = watched.map((w) => w.activityId).join(",");
  const mustPoll = watched.some((w) => !liveProjects.has(w.projectId));
  useEffect(() => {
    if (watched.length === 0) return;
    let stopped = false;
    const look = async () => {
      try {
        const res = await fetch(`/api/activities/states?ids=${watched.map((w) => w.activityId).join(",")}`, { cache: "no-store" });
        if (!res.ok || stopped) return;
        const states = (await res.json()) as ActivityStateView[];
        const ended = states.filter((s) => s.state === "complete" || s.state === "cancelled");
        const known = new Set(states.map((s) => s.id));
        const gone = watched.filter((w) => !known.has(w.activityId)).map((w) => w.activityId);
        if (ended.length === 0 && gone.length === 0) return;
        const drop = new Set([...ended.map((s) => s.id), ...gone]);
        setWatched((prev) => save(prev.filter((p) => !drop.has(p.activityId))));
        setToasts((prev) => [
          ...prev,
          ...ended.map((s) => ({ id: s.id, projectId: s.projectId, description: s.description, outcome: s.state === "cancelled" ? ("cancelled" as const) : (s.result as "success" | "failure") })),
        ]);
        for (const s of ended) setTimeout(() => setToasts((prev) => prev.filter((t) => t.id !== s.id)), TOAST_MS);
      } catch {
        /* offline for a moment */
      }
    };
    // Once now (it may have ended before it was watched), then whenever a project's event stream
    // says an activity changed; on a timer only while one is of a project without an open stream.
    void look();
    const t = mustPoll ? setInterval(() => void look(), POLL_MS) : null;
    const onActivity = () => void look();
    window.addEventListener("pwi:project-activity", onActivity);
    return () => {
      stopped = true;
      if (t) clearInterval(t);
      window.removeEventListener("pwi:project-activity", onActivity);
    };
  }, [watchedKey, mustPoll]); // eslint-disable-line react-hooks/exhaustive-deps -- the ids are what matter

  return (
    <WatchContext.Provider value={watch}>
      {children}
      <div aria-live="polite" role="region" aria-label="Notifications" className="pointer-events-none fixed bottom-4 right-4 z-50 flex w-96 max-w-[calc(100vw-2rem)] flex-col gap-2">
        {toasts.map((t) => (
          <div key={t.id} role="status" className={`pointer-events-auto rounded-lg border bg-surface p-3 text-sm shadow-lg ${t.outcome === "failure" ? "border-danger" : "border-border"}`}>
            <div className="flex items-start gap-2">
              <p className="flex-1">
                <span className={t.outcome === "success" ? "text-success" : t.outcome === "failure" ? "text-danger" : "text-muted"}>
                  {t.outcome === "success" ? "Completed" : t.outcome === "failure" ? "Failed" : "Cancelled"}:
                </span>{" "}
                {t.description}.{" "}
                <Link className="underline" href={`/projects/${t.projectId}/activities/${t.id}`}>
                  Open its log
                </Link>
              </p>
              <button type="button" aria-label="Dismiss" className="text-muted hover:text-foreground" onClick={() => setToasts((prev) => prev.filter((x) => x.id !== t.id))}>
                ×
              </button>
            </div>
          </div>
        ))}
      </div>
    </WatchContext.Provider>
  );
}
