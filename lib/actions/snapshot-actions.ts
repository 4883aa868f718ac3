"use server";

import { z } from "zod";
import type { FormState } from "@/lib/errors";
import { deleteSnapshot, requestRestore, requestRestoreInto, requestSnapshot } from "@/lib/snapshots/snapshots";
import { runFormAction } from "./run-form-action";

const checkbox = z.enum(["on"]).optional().transform((v) => v === "on");
const createSchema = z.object({
  projectId: z.string().min(1),
  environment: z.string().min(1).max(100),
  consistency: z.enum(["consistent", "live"], { message: "Choose consistent or live." }),
  replaceOldest: checkbox,
});
const snapshotSchema = z.object({ projectId: z.string().min(1), snapshotId: z.string().min(1).max(100) });
const restoreSchema = snapshotSchema.extend({
  target: z.enum(["new", "in-place"]).default("in-place"),
  confirmation: z.string().max(200).default(""),
  name: z.string().max(200).default(""),
  parent: z.string().max(200).default(""),
  code: z.enum(["1", "0"]).default("1"),
});

/** Create a snapshot (Backup) of an environment; permissions and plan limits are checked on the server. */
export async function createSnapshotAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  const result = await runFormAction(formData, ["projectId", "environment", "consistency", "replaceOldest"], createSchema, async (db, user, input) => {
    const { activity } = await requestSnapshot(db, user, input.projectId, input.environment, { consistency: input.consistency, replaceOldest: input.replaceOldest });
    return { activityId: activity.id };
  });
  return result; // queued: the project's event stream updates the page as it runs
}

export async function restoreSnapshotAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  const result = await runFormAction(formData, ["projectId", "snapshotId", "target", "confirmation", "name", "parent", "code"], restoreSchema, async (db, user, input) => {
    if (input.target === "new") {
      const { activity } = await requestRestoreInto(db, user, input.projectId, input.snapshotId, { name: input.name, parent: input.parent, code: input.code === "1" });
      return { activityId: activity.id };
    }
    const activity = await requestRestore(db, user, input.projectId, input.snapshotId, input.confirmation);
    return { activityId: activity.id };
  });
  return result; // queued: the project's event stream updates the page as it runs
}

export async function deleteSnapshotAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["projectId", "snapshotId"], snapshotSchema, (db, user, input) => deleteSnapshot(db, user, input.projectId, input.snapshotId));
  return result; // the panel refetches its list
}
