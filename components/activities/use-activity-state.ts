"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useProjectEventsLive } from "@/components/projects/project-events";
import type { ActivityStateView } from "@/lib/environments/activity-states";
import { readHeedingEvents } from "./read-heeding-events";

async function fetchActivityState(activityId: string): Promise<ActivityStateView | null> {
  const res = await fetch(`/api/activities/states?ids=${encodeURIComponent(activityId)}`, { cache: "no-store" });
  if (!res.ok) throw new Error(`Could not read the activity (${res.status})`);
  return ((await res.json()) as ActivityStateView[])[0] ?? null;
}

/** Whether the activity has ended (completed, successfully or not, or cancelled). */
export function isActivityEnded(state: ActivityStateView | null | undefined): boolean {
  return state?.state === "complete" || state?.state === "cancelled";
}

/**
 * An activity's state (null: not found), followed to its end: each of the project's activity
 * events reads it again (a read under way when one comes reads once more: readHeedingEvents);
 * only while the event stream is down does it look every two seconds.
 */
export function useActivityState(activityId: string) {
  const live = useProjectEventsLive();
  const heard = useRef(0);
  const activity = useQuery({
    queryKey: ["activity-state", activityId],
    queryFn: ({ signal }) => readHeedingEvents(() => fetchActivityState(activityId), () => heard.current, isActivityEnded, signal),
    refetchInterval: (query) => (live || isActivityEnded(query.state.data) ? false : 2_000),
  });
  const { refetch } = activity;
  useEffect(() => {
    const onActivity = () => {
      heard.current++;
      void refetch();
    };
    window.addEventListener("pwi:project-activity", onActivity);
    return () => window.removeEventListener("pwi:project-activity", onActivity);
  }, [refetch]);
  return activity;
}
