"use server";

import { z } from "zod";
import type { FormState } from "@/lib/errors";
import { requestCronRun } from "@/lib/environments/cron-runs";
import { runFormAction } from "./run-form-action";

const runSchema = z.object({
  projectId: z.string().min(1),
  environment: z.string().min(1).max(100),
  cron: z.string().regex(/^[a-z0-9_-]{1,64}$/, "A cron's name is lowercase letters, digits, _ and -."),
});

/** Run now: one run of a cron of the environment's deployed application (an activity); who may, and whether it can, is checked on the server. */
export async function runCronAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  return runFormAction(formData, ["projectId", "environment", "cron"], runSchema, async (db, user, input) => {
    const activity = await requestCronRun(db, user, input.projectId, input.environment, input.cron);
    return { activityId: activity.id };
  });
}
