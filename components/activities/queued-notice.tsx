"use client";

import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { DialogClose } from "@/components/ui/dialog";
import { Spinner } from "@/components/ui/spinner";
import { isActivityEnded, useActivityState } from "./use-activity-state";

/**
 * What an action dialog shows once its activity is queued, following it to the end: queued,
 * running, then how it ended — with a link to its log and Close. The project's event stream
 * says when to look again; only while it is down does it look every two seconds until the end.
 */
export function QueuedNotice({ projectId, activityId, what = "The activity", inDialog = true }: { projectId: string; activityId: string; what?: string; inDialog?: boolean }) {
  const { data } = useActivityState(activityId);

  const log = (
    <Link className="underline" href={`/projects/${projectId}/activities/${activityId}`}>
      Open its log
    </Link>
  );
  return (
    <div className="space-y-4" data-testid="activity-notice" data-state={data?.state ?? "pending"} data-result={data?.result ?? ""}>
      {!data || !isActivityEnded(data) ? (
        <Alert tone="info">
          <span className="inline-flex items-center gap-2">
            <Spinner /> {what} is {data?.state === "in_progress" ? "running" : "queued"}.
          </span>{" "}
          {log}
        </Alert>
      ) : data.state === "cancelled" ? (
        <Alert tone="info">
          {what} was cancelled: {data.description}. {log}
        </Alert>
      ) : data.result === "success" ? (
        <Alert tone="success">
          Completed: {data.description}. {log}
        </Alert>
      ) : (
        <Alert tone="error">
          Failed: {data.description}. {log} to see why.
        </Alert>
      )}
      {inDialog ? (
        <div className="flex justify-end">
          <DialogClose asChild>
            <Button variant="secondary">Close</Button>
          </DialogClose>
        </div>
      ) : null}
    </div>
  );
}
