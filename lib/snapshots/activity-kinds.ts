/** The snapshots domain's kinds of activity. Pure. */
import { z } from "zod";
import { defineActivityKinds } from "@/lib/activities/activity-kind";

const id = z.string().uuid();

export const snapshotActivityKinds = defineActivityKinds({
  // A live snapshot runs beside other activities and changes no status. A safe one stops and starts
  // the environment's running services, so every snapshot runs where they run (the runtime queue).
  "environment.backup": { label: "Snapshot", parameters: z.object({ snapshotId: id, replaces: id.nullable() }).strict(), status: null, deploys: false, runtime: true },
  "environment.restore": {
    label: "Restore",
    parameters: z.object({ snapshotId: id }).strict(),
    status: { dirtyWhileRunning: true, success: "active", failure: "active" },
    deploys: true,
  },
});

export type SnapshotActivityKinds = typeof snapshotActivityKinds;
