"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { cancelActivity } from "@/lib/activity-runners";
import type { FormState } from "@/lib/errors";
import { requestEnvironmentAction, type ActionRequest } from "@/lib/environments/request-action";
import { updateEnvironment } from "@/lib/environments/update-environment";
import { editEnvironmentSchema, environmentActionSchema } from "@/lib/environments/validation";
import { runFormAction } from "./run-form-action";

const FIELDS = ["projectId", "environment", "action", "name", "title", "type", "confirmation", "code", "data", "rebase"];

/** Every environment button posts here; the rules are checked again on the server. */
export async function environmentAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  const result = await runFormAction(formData, FIELDS, environmentActionSchema, async (db, user, input) => {
    const { projectId, environment, ...request } = input;
    const activity = await requestEnvironmentAction(db, user, projectId, environment, request as ActionRequest);
    return { activityId: activity.id };
  });
  // No re-render here: the activity is only queued. The project's event stream updates the page as it runs and ends.
  return result;
}

export async function editEnvironmentAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["projectId", "environment", "title", "parent"], editEnvironmentSchema, (db, user, input) =>
    updateEnvironment(db, user, input.projectId, input.environment, { title: input.title, parent: input.parent }),
  );
  if (result.ok) revalidatePath(`/projects/${result.values.projectId}`, "layout");
  return result;
}

export async function cancelActivityAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["projectId", "activityId"], z.object({ projectId: z.string().min(1), activityId: z.string().min(1) }), (db, user, input) =>
    cancelActivity(db, user, input.projectId, input.activityId),
  );
  return result;
}
