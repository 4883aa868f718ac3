"use server";

import { z } from "zod";
import type { FormState } from "@/lib/errors";
import { requestCronRun, requestOperationRun, setCronsPaused } from "@/lib/environments/run-now";
import { requestRollback } from "@/lib/environments/deployments";
import { runFormAction } from "./run-form-action";

const runSchema = z.object({
  projectId: z.string().min(1),
  environment: z.string().min(1).max(100),
  kind: z.enum(["cron", "operation"]),
  name: z.string().regex(/^[a-z0-9_-]{1,64}$/, "A cron's or an operation's name is lowercase letters, digits, _ and -."),
});

/** Run now: one run of a cron, or a runtime operation, of the environment's deployed application (an activity); who may, and whether it can, is checked on the server. */
export async function runNowAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  return runFormAction(formData, ["projectId", "environment", "kind", "name"], runSchema, async (db, user, input) => {
    const activity = await (input.kind === "cron" ? requestCronRun : requestOperationRun)(db, user, input.projectId, input.environment, input.name);
    return { activityId: activity.id };
  });
}

const pauseSchema = z.object({
  projectId: z.string().min(1),
  environment: z.string().min(1).max(100),
  pause: z.enum(["1", "0"]),
});

/** Pause crons / Resume crons of an environment (who may is checked on the server). */
export async function cronsPauseAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  return runFormAction(formData, ["projectId", "environment", "pause"], pauseSchema, async (db, user, input) => {
    const activity = await setCronsPaused(db, user, input.projectId, input.environment, input.pause === "1");
    return { activityId: activity.id };
  });
}

const rollbackSchema = z.object({
  projectId: z.string().min(1),
  environment: z.string().min(1).max(100),
  deploymentId: z.string().min(1).max(64),
});

/** Roll back to one of the environment's deployments (its kept build, no build): an activity; who may, and whether it can, is checked on the server. */
export async function rollbackAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  return runFormAction(formData, ["projectId", "environment", "deploymentId"], rollbackSchema, async (db, user, input) => {
    const activity = await requestRollback(db, user, input.projectId, input.environment, input.deploymentId);
    return { activityId: activity.id };
  });
}
