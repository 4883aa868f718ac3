"use client";

import type { ActivityView } from "@/lib/activities/activity-view";

export function ActivityStateBadge({ activity }: { activity: Pick<ActivityView, "state" | "result"> }) {
  const [label, tone] =
    activity.state === "in_progress"
      ? ["Running", "bg-accent-soft text-accent"]
      : activity.state === "pending"
        ? ["Pending", "bg-surface-muted text-muted"]
        : activity.state === "cancelled"
          ? ["Cancelled", "bg-surface-muted text-muted"]
          : activity.result === "success"
            ? ["Success", "bg-success-soft text-success"]
            : ["Failure", "bg-danger-soft text-danger"];
  return <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ${tone}`}>{label}</span>;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 100) / 10;
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
