"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useWatchActivity } from "@/components/activities/activity-toasts";
import { QueuedNotice } from "@/components/activities/queued-notice";
import { queryKeys } from "@/components/query-keys";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { formatBytes } from "@/lib/format-bytes";

type Phase = { kind: "idle" } | { kind: "sending"; sent: number; total: number } | { kind: "checking" } | { kind: "failed"; error: string } | { kind: "queued"; activityId: string };

/**
 * Import a backup (a .backup.tar from Download, of this project or another console's): the file
 * is sent as it is read, the server proves every entry against its manifest while it arrives,
 * then a backup activity archives it into this environment's list. Nothing is replaced: restore it
 * afterwards, in place or into a new environment.
 */
export function ImportBackupDialog({ projectId, environment, replaces, manualLimit, queryKey }: { projectId: string; environment: string; replaces: { createdAt: string } | null; manualLimit: number | null; queryKey: string[] }) {
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [replaceOldest, setReplaceOldest] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const queryClient = useQueryClient();
  const watch = useWatchActivity();
  const busy = phase.kind === "sending" || phase.kind === "checking";

  const send = () => {
    if (!file) return;
    const query = new URLSearchParams({ filename: file.name, ...(replaceOldest ? { replaceOldest: "1" } : {}) });
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/projects/${encodeURIComponent(projectId)}/environments/${encodeURIComponent(environment)}/snapshots/import?${query}`);
    xhr.setRequestHeader("content-type", "application/x-tar");
    xhr.upload.onprogress = (e) => setPhase({ kind: "sending", sent: e.loaded, total: e.total || file.size });
    xhr.upload.onload = () => setPhase({ kind: "checking" });
    xhr.onerror = () => setPhase({ kind: "failed", error: "The upload broke off (the connection was lost): nothing was imported. Try again." });
    xhr.onload = () => {
      let body: { activity?: { id: string }; error?: string } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON: said below
      }
      if (xhr.status === 202 && body.activity) {
        setPhase({ kind: "queued", activityId: body.activity.id });
        void queryClient.invalidateQueries({ queryKey });
        void queryClient.invalidateQueries({ queryKey: queryKeys.activityStream(projectId) });
        watch({ projectId, activityId: body.activity.id });
      } else {
        setPhase({ kind: "failed", error: body.error ?? `The server answered ${xhr.status}: nothing was imported.` });
      }
    };
    setPhase({ kind: "sending", sent: 0, total: file.size });
    xhr.send(file);
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (busy) return; // the upload runs until it ends
        setOpen(next);
        if (!next) {
          setPhase({ kind: "idle" });
          setFile(null);
          setReplaceOldest(false);
        }
      }}
      trigger={<Button variant="secondary">Import</Button>}
      title={`Import a backup into ${environment}`}
      description="A .backup.tar from Download. Every file is checked against its manifest (paths, sizes, sha256) as it arrives; anything wrong refuses the whole archive. It then appears in this list; nothing is replaced until you restore it."
    >
      {phase.kind === "queued" ? (
        <QueuedNotice projectId={projectId} activityId={phase.activityId} what="The import" />
      ) : (
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          {phase.kind === "failed" ? <Alert tone="error">{phase.error}</Alert> : null}
          <label className="block space-y-1 text-sm">
            <span className="font-medium">Backup archive</span>
            <input type="file" accept=".tar,application/x-tar" disabled={busy} onChange={(e) => setFile(e.target.files?.[0] ?? null)} className="block w-full text-sm" aria-describedby="import-hint" />
            <span id="import-hint" className="block text-xs text-muted">
              {file ? `${file.name} · ${formatBytes(file.size)}` : "At most 10 GiB of data."}
            </span>
          </label>
          {replaces ? (
            <label className="flex items-start gap-2 rounded-md border border-danger/40 p-3 text-sm">
              <input type="checkbox" checked={replaceOldest} onChange={(e) => setReplaceOldest(e.target.checked)} disabled={busy} className="mt-1" />
              <span>
                This project keeps {manualLimit} manual backup{manualLimit === 1 ? "" : "s"} per environment: delete the oldest, of {replaces.createdAt.slice(0, 16).replace("T", " ")} UTC, for this one.
              </span>
            </label>
          ) : null}
          {phase.kind === "sending" ? (
            <div className="space-y-1 text-xs text-muted">
              <div className="h-1.5 w-full overflow-hidden rounded bg-surface-muted" role="progressbar" aria-label="Upload progress" aria-valuenow={Math.round((phase.sent / Math.max(phase.total, 1)) * 100)} aria-valuemin={0} aria-valuemax={100}>
                <div className="h-full bg-accent transition-[width]" style={{ width: `${(phase.sent / Math.max(phase.total, 1)) * 100}%` }} />
              </div>
              <p>
                Sending and checking: {formatBytes(phase.sent)} of {formatBytes(phase.total)}
              </p>
            </div>
          ) : phase.kind === "checking" ? (
            <p className="text-xs text-muted" role="status">
              Sent; the last entries are being checked…
            </p>
          ) : null}
          <div className="flex justify-end">
            <Button type="submit" disabled={!file || busy || (!!replaces && !replaceOldest)}>
              {busy ? "Importing…" : "Import"}
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
