/** The snapshots domain's kinds of activity. Pure. */
import { z } from "zod";
import { defineActivityKinds } from "@/lib/activities/activity-kind";

const id = z.string().uuid();

export const snapshotActivityKinds = defineActivityKinds({
  // A live snapshot runs beside other activities and changes no status. A safe one stops and starts
  // the environment's running services, so every snapshot runs where they run (the runtime queue).
  "environment.backup": {
    label: "Snapshot",
    parameters: z
      .object({
        snapshotId: id,
        replaces: id.nullable(),
        // An uploaded backup (import-backup.ts): its files wait, proved, in the snapshot's staging folder.
        imported: z
          .object({ filename: z.string().max(200), files: z.number().int().nonnegative(), bytes: z.number().int().nonnegative(), from: z.string().max(100).nullable(), createdAt: z.string().max(40).nullable(), commitKnown: z.boolean() })
          .strict()
          .optional(),
      })
      .strict(),
    status: null,
    deploys: false,
    runtime: true,
  },
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
