"use client";

import { useParams, useSearchParams } from "next/navigation";
import { useEffect } from "react";
import { useWatchActivity } from "@/components/activities/activity-toasts";
import { Alert } from "@/components/ui/alert";

/** Where Delete lands (the parent's page, `?deleted=<name>`): says what is happening to the environment left behind. */
export function DeletedNotice() {
  const search = useSearchParams();
  const name = search.get("deleted");
  const activityId = search.get("activity");
  const { projectId } = useParams<{ projectId: string }>();
  const watchActivity = useWatchActivity();
  // The notice when the deletion ends (Delete's dialog closed with the page it was on).
  useEffect(() => {
    if (activityId && /^[0-9a-f-]{36}$/.test(activityId) && projectId) watchActivity({ projectId, activityId });
  }, [activityId, projectId, watchActivity]);
  if (!name || !/^[A-Za-z0-9._-]{1,100}$/.test(name)) return null;
  return (
    <div className="mb-4">
      <Alert tone="info">
        <span className="font-mono">{name}</span> is being deleted: its branch, data and deployments are removed. Its activity is in the list below, and a notice
        says when it is done.
      </Alert>
    </div>
  );
}
