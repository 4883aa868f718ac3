/** The snapshots domain's kinds of activity. Pure. */
import { z } from "zod";
import { defineActivityKinds } from "@/lib/activities/activity-kind";

const id = z.string().uuid();

export const snapshotActivityKinds = defineActivityKinds({
  // A live snapshot runs beside other activities and changes no status.
  "environment.backup": { label: "Snapshot", parameters: z.object({ snapshotId: id, replaces: id.nullable() }).strict(), status: null, deploys: false },
  "environment.restore": {
    label: "Restore",
    parameters: z.object({ snapshotId: id }).strict(),
    status: { dirtyWhileRunning: true, success: "active", failure: "active" },
    deploys: true,
  },
});

export type SnapshotActivityKinds = typeof snapshotActivityKinds;
