"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useActionState, useEffect, useRef, useState } from "react";
import { useWatchActivity } from "@/components/activities/activity-toasts";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { Alert } from "@/components/ui/alert";
import { Field, Input, describedBy } from "@/components/ui/field";
import { DisabledButton } from "@/components/ui/disabled-button";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { useHydrated } from "@/components/ui/use-hydrated";
import { createSnapshotAction, deleteSnapshotAction, restoreSnapshotAction } from "@/lib/actions/snapshot-actions";
import { formatBytes } from "@/lib/format-bytes";
import type { SnapshotView } from "@/lib/snapshots/snapshots";
import { queryKeys } from "@/components/query-keys";
import { FALLBACK_POLL_MS, useProjectEventsLive } from "@/components/projects/project-events";
import { useProjectOverview } from "@/components/environments/use-project-overview";
import type { ProjectOverview } from "@/lib/environments/overview";
import { formatDateTime } from "@/components/projects/format";
import { ImportBackupDialog } from "./import-backup-dialog";

interface PanelData {
  snapshots: SnapshotView[];
  replaces: SnapshotView | null;
  /** Manual snapshots kept per environment (null: no limit). */
  manualLimit: number | null;
  canManage: boolean;
}

/** In UTC, as every page shows times: the same text on the server and in any browser, so hydration agrees. */
const when = (iso: string) => formatDateTime(new Date(iso));

/** "Safe · databases paused 1.2 s", "Live · may be inconsistent". */
function snapshotKind(s: SnapshotView): string {
  if (s.consistency === "live") return "Live · may be inconsistent";
  return s.servicePauseMs === null ? "Safe" : `Safe · databases paused ${(s.servicePauseMs / 1000).toFixed(1)} s`;
}

/** Backups / Snapshots of one environment: create, watch progress, restore, delete. */
export function SnapshotPanel({ projectId, environment, overview, initial }: { projectId: string; environment: string; overview: ProjectOverview; initial: PanelData }) {
  // Active and deployed, as the project's events say (not as the page was first rendered).
  const environments = useProjectOverview(projectId, overview, environment).data.environments;
  const env = environments.find((e) => e.name === environment);
  // Where a restore's new environment may hang: the active ones (Branch's rules decide on the server).
  const parents = environments.filter((e) => e.status !== "inactive" && e.status !== "deleting").map((e) => e.name);
  const isActive = !!env && (env.status === "active" || env.status === "dirty") && !!env.deployedCommit;
  const key = [...queryKeys.snapshots(projectId, environment)];
  const live = useProjectEventsLive();
  const hydrated = useHydrated();
  const query = useQuery({
    queryKey: key,
    queryFn: async (): Promise<PanelData> => {
      const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/environments/${encodeURIComponent(environment)}/snapshots`, { cache: "no-store" });
      if (!res.ok) throw new Error(`Could not load snapshots (${res.status}).`);
      return res.json();
    },
    initialData: initial,
    refetchInterval: (q) => (live ? false : q.state.data?.snapshots.some((s) => s.state === "in_progress") ? 1000 : FALLBACK_POLL_MS),
  });
  const data = hydrated ? query.data : initial; // hydrating: what the server rendered
  const reason = !data.canManage ? "Snapshots need the admin role on this environment's type." : !isActive ? "Only active environments have data to snapshot." : null;

  return (
    <section aria-labelledby="env-backups" className="rounded-lg border border-border bg-surface p-4 text-sm">
      <div className="mb-2 flex items-center justify-between gap-2">
        <h2 id="env-backups" className="font-semibold">
          Backups
        </h2>
        <div className="flex flex-wrap justify-end gap-2">
          {data.canManage ? <ImportBackupDialog projectId={projectId} environment={environment} replaces={data.replaces} manualLimit={data.manualLimit} queryKey={key} /> : null}
          {reason ? (
            <DisabledButton reason={reason} align="end">
              Create snapshot
            </DisabledButton>
          ) : (
            <CreateSnapshotDialog projectId={projectId} environment={environment} replaces={data.replaces} manualLimit={data.manualLimit} queryKey={key} />
          )}
        </div>
      </div>
      {reason ? <p className="mb-2 text-xs text-muted">{reason}</p> : null}
      {data.snapshots.some((s) => s.state === "complete") ? (
        <p className="mb-1 text-xs text-muted" data-testid="backup-storage">
          {(() => {
            const done = data.snapshots.filter((s) => s.state === "complete");
            const automated = done.filter((s) => s.automated).length;
            return `${done.length} kept (${automated} automated) · ${formatBytes(done.reduce((n, s) => n + (s.sizeBytes ?? 0), 0))} of data`;
          })()}
        </p>
      ) : null}
      {data.snapshots.length === 0 ? (
        <p className="text-xs text-muted">No snapshots yet. A snapshot holds this environment&apos;s services and mounts; a manual one is kept for 7 days, automated ones as the project&apos;s schedule says (Settings).</p>
      ) : (
        <ul className="divide-y divide-border" aria-label="Snapshots">
          {data.snapshots.map((s) => (
            <li key={s.id} className="py-2" aria-label={`Snapshot of ${when(s.createdAt)}`}>
              <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
                <span className="font-medium">{when(s.createdAt)}</span>
                <SnapshotState snapshot={s} />
                <span className="text-xs text-muted">{snapshotKind(s)}</span>
                {s.automated ? <span className="rounded bg-surface-muted px-1.5 text-xs text-muted">Automated</span> : null}
              </div>
              <div className="mt-0.5 text-xs text-muted">
                {s.deployedCommit ? <code>{s.deployedCommit.slice(0, 12)}</code> : "no commit"}
                {s.buildKey ? ` · build ${s.buildKey.slice(0, 7)}` : ""}
                {s.sizeBytes !== null ? ` · ${formatBytes(s.sizeBytes)} of data` : ""}
                {s.fileCount !== null ? ` · ${s.fileCount.toLocaleString("en-US")} file${s.fileCount === 1 ? "" : "s"}` : ""} · expires {when(s.expiresAt)}
                {s.createdBy ? ` · by ${s.createdBy}` : ""}
              </div>
              {s.state === "in_progress" ? (
                <div className="mt-1 h-1.5 w-full overflow-hidden rounded bg-surface-muted" role="progressbar" aria-label="Snapshot progress" aria-valuenow={s.progress ?? 0} aria-valuemin={0} aria-valuemax={100}>
                  <div className="h-full bg-accent transition-[width]" style={{ width: `${s.progress ?? 0}%` }} />
                </div>
              ) : null}
              <div className="mt-1 flex gap-2">
                {s.activityId ? (
                  <Link className="text-xs text-accent hover:underline" href={`/projects/${projectId}/activities/${s.activityId}`}>
                    Log
                  </Link>
                ) : null}
                {s.state === "complete" && data.canManage ? (
                  <a className="text-xs text-accent hover:underline" href={`/api/projects/${encodeURIComponent(projectId)}/environments/${encodeURIComponent(environment)}/snapshots/${s.id}/download`} download>
                    Download
                  </a>
                ) : null}
                {s.state === "complete" && data.canManage ? <RestoreDialog projectId={projectId} environment={environment} snapshot={s} queryKey={key} parents={parents} /> : null}
                {s.state !== "in_progress" && data.canManage ? <DeleteDialog projectId={projectId} snapshot={s} queryKey={key} /> : null}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SnapshotState({ snapshot }: { snapshot: SnapshotView }) {
  if (snapshot.state === "in_progress") return <span className="rounded-full bg-accent-soft px-2 py-0.5 text-xs text-accent">In progress {snapshot.progress ?? 0}%</span>;
  if (snapshot.state === "failed") return <span className="rounded-full bg-danger-soft px-2 py-0.5 text-xs text-danger">Failed</span>;
  return <span className="rounded-full bg-success-soft px-2 py-0.5 text-xs text-success">Complete</span>;
}

function useQueued(state: { ok: boolean; data?: unknown } | null, projectId: string, queryKey: string[], onDone?: () => void) {
  const queryClient = useQueryClient();
  const watch = useWatchActivity();
  const handled = useRef<unknown>(null);
  useEffect(() => {
    if (!state?.ok || handled.current === state) return;
    handled.current = state;
    void queryClient.invalidateQueries({ queryKey });
    void queryClient.invalidateQueries({ queryKey: queryKeys.activityStream(projectId) });
    const activityId = (state.data as { activityId?: string } | undefined)?.activityId;
    if (activityId) watch({ projectId, activityId });
    onDone?.();
  }, [state, queryClient, queryKey, projectId, watch, onDone]);
}

function CreateSnapshotDialog({ projectId, environment, replaces, manualLimit, queryKey }: { projectId: string; environment: string; replaces: SnapshotView | null; manualLimit: number | null; queryKey: string[] }) {
  const [state, action] = useActionState(createSnapshotAction, null);
  const [open, setOpen] = useState(false);
  useQueued(state, projectId, queryKey);
  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
      trigger={<Button variant="secondary">Create snapshot</Button>}
      title={`Snapshot ${environment}`}
      description="Archives every service volume and mount of this environment, with a checksum of every file. It is kept for 7 days."
    >
      {state?.ok ? (
        <QueuedNotice projectId={projectId} activityId={state.data.activityId} what="The snapshot" />
      ) : (
        <form action={action} className="space-y-4">
          <input type="hidden" name="projectId" value={projectId} />
          <input type="hidden" name="environment" value={environment} />
          {state && !state.ok && !state.fieldErrors ? <Alert tone="error">{state.error}</Alert> : null}
          <fieldset className="space-y-2 text-sm">
            <legend className="font-medium">Kind</legend>
            <label className="flex items-start gap-2">
              <input type="radio" name="consistency" value="consistent" defaultChecked className="mt-1" />
              <span>
                <strong>Safe</strong>: {environment} takes no other activity while its data is copied, and each running database is stopped cleanly while its files are copied (usually a second or two).
              </span>
            </label>
            <label className="flex items-start gap-2">
              <input type="radio" name="consistency" value="live" className="mt-1" />
              <span>
                <strong>Live</strong>: nothing is paused; a database writing meanwhile may be copied mid-change (a restore recovers it as after a power cut).
              </span>
            </label>
          </fieldset>
          {replaces ? (
            <div className="space-y-2 rounded-md border border-danger/40 p-3 text-sm">
              <p>
                This project keeps {manualLimit} manual snapshot{manualLimit === 1 ? "" : "s"} per environment. This one replaces the oldest, of <strong>{when(replaces.createdAt)}</strong>.
              </p>
              <label className="flex items-center gap-2">
                <input type="checkbox" name="replaceOldest" /> Delete the oldest snapshot when this one is complete
              </label>
              {state && !state.ok && state.fieldErrors?.replaceOldest ? <p className="text-danger">{state.fieldErrors.replaceOldest.join(" ")}</p> : null}
            </div>
          ) : null}
          <DialogActions pendingText="Queuing…">Create snapshot</DialogActions>
        </form>
      )}
    </Dialog>
  );
}

function RestoreDialog({ projectId, environment, snapshot, queryKey, parents }: { projectId: string; environment: string; snapshot: SnapshotView; queryKey: string[]; parents: string[] }) {
  const [state, action] = useActionState(restoreSnapshotAction, null);
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState<"new" | "in-place">("new");
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  useQueued(state, projectId, queryKey);
  const id = `restore-${snapshot.id}`;
  const suggested = `${environment}-restored`.slice(0, 100);
  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
      trigger={
        <button type="button" className="text-xs text-accent hover:underline">
          Restore
        </button>
      }
      title={`Restore the snapshot of ${when(snapshot.createdAt)}`}
      description={`Every checksum is verified first. Into a new environment nothing of ${environment} is touched; in place, ${environment}'s data (every service volume and mount) is replaced and it redeploys.`}
    >
      {state?.ok ? (
        <QueuedNotice projectId={projectId} activityId={state.data.activityId} what="The restore" />
      ) : (
        <div className="space-y-4">
          {/* Outside the form: a form's reset after its action would put the radios back to their first state. */}
              <fieldset className="space-y-2">
                <legend className="mb-1 text-sm font-medium">Restore into</legend>
                <label className="flex items-start gap-2 text-sm">
                  <input type="radio" name={`${id}-target`} checked={target === "new"} onChange={() => setTarget("new")} className="mt-1" />
                  <span>
                    A new environment <span className="text-muted">(nothing else changes)</span>
                  </span>
                </label>
                <label className="flex items-start gap-2 text-sm">
                  <input type="radio" name={`${id}-target`} checked={target === "in-place"} onChange={() => setTarget("in-place")} className="mt-1" />
                  <span>
                    {environment} itself <span className="text-muted">(its data is replaced)</span>
                  </span>
                </label>
              </fieldset>
        <SnapshotForm
          action={action}
          projectId={projectId}
          snapshotId={snapshot.id}
          error={state && !state.ok && !state.fieldErrors ? state.error : null}
          pendingText="Queuing…"
          fields={
            <>
              <input type="hidden" name="target" value={target} />
              {target === "new" ? (
                <>
                  <Field id={`${id}-name`} label="New environment's name" errors={errors?.name}>
                    <Input id={`${id}-name`} name="name" defaultValue={suggested} autoComplete="off" spellCheck={false} className="font-mono" {...describedBy(`${id}-name`, errors?.name)} />
                  </Field>
                  <Field id={`${id}-parent`} label="Its parent" errors={errors?.parent}>
                    <select id={`${id}-parent`} name="parent" defaultValue={parents.includes(environment) ? environment : parents[0]} className="w-full rounded-md border border-border bg-surface px-2 py-1.5 text-sm">
                      {parents.map((p) => (
                        <option key={p} value={p}>
                          {p}
                        </option>
                      ))}
                    </select>
                  </Field>
                  <fieldset className="space-y-1">
                    <legend className="mb-1 text-sm font-medium">What it gets</legend>
                    <label className="flex items-center gap-2 text-sm">
                      <input type="radio" name="code" value="1" defaultChecked /> The snapshot&apos;s code and data{snapshot.deployedCommit ? ` (${snapshot.deployedCommit.slice(0, 7)})` : ""}
                    </label>
                    <label className="flex items-center gap-2 text-sm">
                      <input type="radio" name="code" value="0" /> The data only, with its parent&apos;s code
                    </label>
                  </fieldset>
                </>
              ) : (
                // Replacing data asks for the environment's name, as Deactivate and Delete do.
                <Field id={id} label={`Type ${environment} to replace its data`} errors={errors?.confirmation}>
                  <Input id={id} name="confirmation" autoComplete="off" spellCheck={false} className="font-mono" {...describedBy(id, errors?.confirmation)} />
                </Field>
              )}
            </>
          }
        >
          {target === "new" ? "Restore into a new environment" : "Restore and replace the data"}
        </SnapshotForm>
        </div>
      )}
    </Dialog>
  );
}

function DeleteDialog({ projectId, snapshot, queryKey }: { projectId: string; snapshot: SnapshotView; queryKey: string[] }) {
  const [state, action] = useActionState(deleteSnapshotAction, null);
  const [open, setOpen] = useState(false);
  useQueued(state, projectId, queryKey, () => setOpen(false));
  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
      trigger={
        <button type="button" className="text-xs text-danger hover:underline">
          Delete
        </button>
      }
      title="Delete this snapshot?"
      description={`The snapshot of ${when(snapshot.createdAt)} and its archive are deleted. This cannot be undone.`}
    >
      <SnapshotForm action={action} projectId={projectId} snapshotId={snapshot.id} error={state && !state.ok ? state.error : null} pendingText="Deleting…">
        Delete snapshot
      </SnapshotForm>
    </Dialog>
  );
}

/** The confirmation form of a snapshot's Restore or Delete: the snapshot, an error if any, Cancel and the button. */
function SnapshotForm({
  action,
  projectId,
  snapshotId,
  error,
  pendingText,
  children,
  fields,
}: {
  action: (formData: FormData) => void;
  projectId: string;
  snapshotId: string;
  error: string | null;
  pendingText: string;
  children: React.ReactNode;
  fields?: React.ReactNode;
}) {
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="projectId" value={projectId} />
      <input type="hidden" name="snapshotId" value={snapshotId} />
      {error ? <Alert tone="error">{error}</Alert> : null}
      {fields}
      <DialogActions variant="danger" pendingText={pendingText}>
        {children}
      </DialogActions>
    </form>
  );
}
