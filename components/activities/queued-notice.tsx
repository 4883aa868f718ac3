"use client";

import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { DialogClose } from "@/components/ui/dialog";

/** What an action dialog shows once its activity is queued: a link to the log, and Close. */
export function QueuedNotice({ projectId, activityId, what = "The activity" }: { projectId: string; activityId: string; what?: string }) {
  return (
    <div className="space-y-4">
      <Alert tone="success">
        {what} is queued.{" "}
        <Link className="underline" href={`/projects/${projectId}/activities/${activityId}`}>
          Open its log
        </Link>
      </Alert>
      <div className="flex justify-end">
        <DialogClose asChild>
          <Button variant="secondary">Close</Button>
        </DialogClose>
      </div>
    </div>
  );
}
