"use client";

import Link from "next/link";
import type { ActivityView, ProjectOverview } from "@/lib/environments/overview";
import { useProjectOverview } from "@/components/environments/use-project-overview";

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

function durationOf(a: ActivityView): string | null {
  if (!a.startedAt || !a.completedAt) return null;
  return formatDuration(Date.parse(a.completedAt) - Date.parse(a.startedAt));
}

/** Running first, then pending, then recent; each row opens its log. Updates itself. */
export function ActivityList({ projectId, initial, environment }: { projectId: string; initial: ProjectOverview; environment?: string }) {
  const { data } = useProjectOverview(projectId, initial, environment);
  if (data.activities.length === 0) return <p className="text-sm text-muted">No activity yet.</p>;
  return (
    <ul className="divide-y divide-border rounded-lg border border-border bg-surface" aria-label="Activities">
      {data.activities.map((a) => (
        <li key={a.id}>
          <Link href={`/projects/${projectId}/activities/${a.id}`} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm hover:bg-surface-muted">
            <ActivityStateBadge activity={a} />
            <span className="font-medium">{a.description}</span>
            <span className="ml-auto text-xs text-muted">
              {durationOf(a) ? `${durationOf(a)} · ` : ""}
              <time dateTime={a.createdAt}>{new Date(a.createdAt).toLocaleString()}</time>
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
