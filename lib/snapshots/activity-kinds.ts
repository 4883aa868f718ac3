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
  // Into a new environment (made by the request, a child of `parent`): its branch at the snapshot's
  // commit (code and data) or at the parent's head (data only), the snapshot's data, then its deploy.
  "environment.restore.new": {
    label: "Restore",
    parameters: z.object({ snapshotId: id, parent: z.string().min(1).max(100), code: z.boolean() }).strict(),
    status: { dirtyWhileRunning: true, success: "active", failure: "inactive" },
    deploys: true,
    reservesEnvironment: true,
  },
});

export type SnapshotActivityKinds = typeof snapshotActivityKinds;
