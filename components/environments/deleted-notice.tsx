"use client";

import Link from "next/link";
import { useParams, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { useWatchActivity } from "@/components/activities/activity-toasts";
import { isActivityEnded, useActivityState } from "@/components/activities/use-activity-state";
import { Alert } from "@/components/ui/alert";
import { Spinner } from "@/components/ui/spinner";

interface Deleted {
  name: string;
  activityId: string;
}

/** `?deleted=<name>&activity=<id>`, where Delete lands: checked, or null. */
function readDeleted(search: URLSearchParams): Deleted | null {
  const name = search.get("deleted");
  const activityId = search.get("activity");
  if (!name || !/^[A-Za-z0-9._-]{1,100}$/.test(name) || !activityId || !/^[0-9a-f-]{36}$/.test(activityId)) return null;
  return { name, activityId };
}

/**
 * Where Delete lands (the parent's page, or the project's, with `?deleted=<name>&activity=<id>`):
 * follows the Delete activity to its end, then says what became of the environment, with its
 * log. The parameters are read once and taken out of the address, so a reload or a shared link
 * shows no notice about a deletion long over.
 */
export function DeletedNotice() {
  const search = useSearchParams();
  const { projectId } = useParams<{ projectId: string }>();
  const fromUrl = readDeleted(search);
  const [deleted, setDeleted] = useState<Deleted | null>(fromUrl);
  const [dismissed, setDismissed] = useState(false);
  // A later Delete landing on this same page replaces it.
  if (fromUrl && fromUrl.activityId !== deleted?.activityId) {
    setDeleted(fromUrl);
    setDismissed(false);
  }
  const watchActivity = useWatchActivity();
  useEffect(() => {
    if (!search.has("deleted") && !search.has("activity")) return;
    // Once read, out of the address (Next's router follows history.replaceState; the page is not fetched again).
    const url = new URL(window.location.href);
    url.searchParams.delete("deleted");
    url.searchParams.delete("activity");
    window.history.replaceState(null, "", `${url.pathname}${url.search}${url.hash}`);
  }, [search]);
  // A notice (a toast) also when it ends after the user has left this page.
  useEffect(() => {
    if (deleted && projectId) watchActivity({ projectId, activityId: deleted.activityId });
  }, [deleted, projectId, watchActivity]);
  if (!deleted || dismissed || !projectId) return null;
  return <DeletionState projectId={projectId} deleted={deleted} onDismiss={() => setDismissed(true)} />;
}

function DeletionState({ projectId, deleted, onDismiss }: { projectId: string; deleted: Deleted; onDismiss: () => void }) {
  const { data, isPending } = useActivityState(deleted.activityId);
  const name = <span className="font-mono">{deleted.name}</span>;
  const log = (
    <Link className="underline" href={`/projects/${projectId}/activities/${deleted.activityId}`}>
      Open its log
    </Link>
  );
  const dismiss = (
    <button type="button" className="ml-2 underline" onClick={onDismiss}>
      Dismiss
    </button>
  );
  let body;
  if (isPending || (data && !isActivityEnded(data))) {
    body = (
      <Alert tone="info">
        <span className="inline-flex items-center gap-2">
          <Spinner /> <span>{name} is being deleted: its git branch, data and deployments are removed.</span>
        </span>{" "}
        {log}
      </Alert>
    );
  } else if (!data) {
    body = (
      <Alert tone="info">
        The deletion of {name} cannot be shown here any more. {dismiss}
      </Alert>
    );
  } else if (data.state === "cancelled") {
    body = (
      <Alert tone="info">
        The deletion of {name} was cancelled. {log}. {dismiss}
      </Alert>
    );
  } else if (data.result === "success") {
    body = (
      <Alert tone="success">
        {name} was deleted: the environment, its git branch {name}, its data and its deployments are removed. Its activities stay in the project&apos;s activity list. {log}.{" "}
        {dismiss}
      </Alert>
    );
  } else {
    body = (
      <Alert tone="error">
        Deleting {name} failed: it is still there (inactive), with what was not yet removed. {log} to see why.{" "}
        <Link className="underline" href={`/projects/${projectId}/environments/${deleted.name}`}>
          Open {deleted.name}
        </Link>
        . {dismiss}
      </Alert>
    );
  }
  return (
    <div className="mb-4" data-testid="deleted-notice" data-state={data?.state ?? "pending"} data-result={data?.result ?? ""}>
      {body}
    </div>
  );
}
