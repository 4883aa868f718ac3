"use client";

import { useEffect, useMemo, useState } from "react";
import { ActivityStateBadge, formatDuration } from "@/components/activities/activity-state";
import { formatDateTime } from "@/components/projects/format";
import { CancelActivityButton } from "@/components/activities/cancel-activity-button";
import type { ActivityView } from "@/lib/activities/activity-view";
import { LogModel } from "./log-model";
import { LogPane } from "./log-pane";
import { activityLogTransport, useLogStream, type Connection } from "./use-log-stream";

export interface ActivityDetails {
  createdBy: { name: string | null; email: string } | null;
  /** The commit(s) deployed, or the one a push brought. */
  commits: string[];
  /** The commits a push or a merge brought in, newest first. */
  broughtIn: { sha: string; subject: string; author: string }[];
}

const CONNECTION_LABEL: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  polling: "Live (checking every second)",
  sealed: "Complete log",
  "signed-out": "Your session has ended: sign in again to follow this log.",
  gone: "This activity is no longer available.",
};

/**
 * An activity's log: its state, who started it, its commits, and the log itself (LogPane),
 * streamed as it is written.
 */
export function LogViewer({ projectId, initialActivity, details }: { projectId: string; initialActivity: ActivityView; details: ActivityDetails }) {
  const [activity, setActivity] = useState(initialActivity);
  const [model] = useState(() => new LogModel());
  const url = `/api/projects/${encodeURIComponent(projectId)}/activities/${initialActivity.id}/log`;
  const transport = useMemo(() => activityLogTransport(url), [url]);
  const { version, connection } = useLogStream(transport, model, {
    onState: setActivity,
    onSeal: (s) => setActivity((a) => ({ ...a, state: s.state, result: s.result, completedAt: s.completedAt })),
  });
  const isOpen = activity.state === "pending" || activity.state === "in_progress";
  return (
    <div className="space-y-3">
      <ActivityHeader projectId={projectId} activity={activity} details={details} lines={model.lines.length} connection={connection} isOpen={isOpen} />
      <LogPane
        model={model}
        version={version}
        label="Activity log"
        downloadHref={`${url}?format=text`}
        running={isOpen}
        emptyText={connection === "connecting" ? "Loading the log…" : isOpen ? "Waiting for the worker…" : "This activity wrote no log."}
      />
    </div>
  );
}

/** A user's name, and under it their e-mail address (alone when they have no name). */
function UserLines({ name, email }: { name: string | null; email: string }) {
  return (
    <>
      {name ? <span className="block">{name}</span> : null}
      <span className={name ? "block text-xs text-muted" : "block"}>{email}</span>
    </>
  );
}

function ActivityHeader({
  projectId,
  activity,
  details,
  lines,
  connection,
  isOpen,
}: {
  projectId: string;
  activity: ActivityView;
  details: ActivityDetails;
  lines: number;
  connection: Connection;
  isOpen: boolean;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!isOpen) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [isOpen]);
  const end = activity.completedAt ? Date.parse(activity.completedAt) : now;
  const duration = activity.startedAt ? formatDuration(Math.max(0, end - Date.parse(activity.startedAt))) : null;
  const waited = activity.startedAt ? formatDuration(Math.max(0, Date.parse(activity.startedAt) - Date.parse(activity.createdAt))) : null;
  return (
    <dl className="grid grid-cols-2 gap-x-6 gap-y-2 rounded-lg border border-border bg-surface p-3 text-sm [overflow-wrap:anywhere] sm:grid-cols-4" aria-live="polite">
      <div>
        <dt className="text-xs text-muted">State</dt>
        <dd className="mt-0.5 flex items-center gap-2">
          <ActivityStateBadge activity={activity} />
          {activity.state === "in_progress" && activity.phase ? <span className="text-xs text-muted">{activity.phase === "build" ? "building" : "deploying"}</span> : null}
          {activity.state === "in_progress" && activity.progress !== null ? (
            <span className="flex items-center gap-1 text-xs text-muted">
              <span className="inline-block h-1.5 w-16 overflow-hidden rounded bg-surface-muted" role="progressbar" aria-label="Progress" aria-valuenow={activity.progress} aria-valuemin={0} aria-valuemax={100}>
                <span className="block h-full bg-accent" style={{ width: `${activity.progress}%` }} />
              </span>
              {activity.progress}%
            </span>
          ) : null}
          {isOpen ? <CancelActivityButton projectId={projectId} activity={activity} /> : null}
        </dd>
      </div>
      <div>
        <dt className="text-xs text-muted">Started by</dt>
        <dd className="mt-0.5">{details.createdBy ? <UserLines {...details.createdBy} /> : "the platform"}</dd>
      </div>
      <div>
        <dt className="text-xs text-muted">Created</dt>
        <dd className="mt-0.5">
          <time dateTime={activity.createdAt}>{formatDateTime(new Date(activity.createdAt))}</time>
          {waited ? <span className="text-xs text-muted"> · waited {waited}</span> : null}
        </dd>
      </div>
      <div>
        <dt className="text-xs text-muted">Duration</dt>
        <dd className="mt-0.5" suppressHydrationWarning>
          {duration ?? "not started"}
        </dd>
      </div>
      <div>
        <dt className="text-xs text-muted">Environment</dt>
        <dd className="mt-0.5">{activity.environmentName ?? "none (the project's)"}</dd>
      </div>
      <div>
        <dt className="text-xs text-muted">Commit{details.commits.length === 1 ? "" : "s"}</dt>
        <dd className="mt-0.5 font-mono text-xs">{details.commits.length ? details.commits.map((c) => c.slice(0, 12)).join(", ") : "—"}</dd>
      </div>
      <div>
        <dt className="text-xs text-muted">Lines</dt>
        <dd className="mt-0.5">{lines.toLocaleString("en-US")}</dd>
      </div>
      <div>
        <dt className="text-xs text-muted">Stream</dt>
        <dd className={`mt-0.5 ${connection === "signed-out" || connection === "gone" ? "text-danger" : ""}`}>{CONNECTION_LABEL[connection]}</dd>
      </div>
      {details.broughtIn.length > 0 ? (
        <div className="col-span-2 sm:col-span-4">
          <dt className="text-xs text-muted">
            {details.broughtIn.length} commit{details.broughtIn.length === 1 ? "" : "s"} brought in
          </dt>
          <dd className="mt-1">
            <ul className="max-h-32 space-y-0.5 overflow-y-auto text-xs" aria-label="Commits brought in">
              {details.broughtIn.map((c) => (
                <li key={c.sha} className="flex min-w-0 gap-2">
                  <code className="shrink-0 font-mono text-muted">{c.sha.slice(0, 7)}</code>
                  <span className="truncate">{c.subject}</span>
                  <span className="shrink-0 text-muted">{c.author}</span>
                </li>
              ))}
            </ul>
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

