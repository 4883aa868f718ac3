"use server";

import { redirect } from "next/navigation";
import type { Db } from "@/db/client";
import { getEnvironmentByName, listEnvironments } from "@/lib/environments/queries";
import { z } from "zod";
import { cancelActivity } from "@/lib/activity-runners";
import type { FormState } from "@/lib/errors";
import { queuedStreamActivity, type StreamActivity } from "@/lib/environments/activity-stream";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { updateEnvironment } from "@/lib/environments/update-environment";
import { editEnvironmentSchema, environmentActionSchema } from "@/lib/environments/validation";
import { runFormAction } from "./run-form-action";

const FIELDS = ["projectId", "environment", "action", "name", "title", "type", "confirmation", "code", "data", "rebase"];

/** What an environment button's dialog gets back: the queued activity, and the environments whose streams show it. */
export interface QueuedActivity {
  activityId: string;
  activity: StreamActivity;
  environments: string[];
}

/** Every environment button posts here; the rules are checked again on the server. */
export async function environmentAction(_prev: FormState<QueuedActivity>, formData: FormData): Promise<FormState<QueuedActivity>> {
  const result = await runFormAction(formData, FIELDS, environmentActionSchema, async (db, user, input) => {
    const { projectId, environment, ...request } = input;
    // Read before the request: once deleted, the environment (and so its parent) is gone.
    const parent = request.action === "delete" ? await getParentName(db, projectId, environment) : null;
    const activity = await requestEnvironmentAction(db, user, projectId, environment, request);
    // Every environment action occupies the environment it was asked on, and its own (a new branch, Merge's parent).
    const environments = [...new Set([environment, ...(activity.environmentName ? [activity.environmentName] : [])])];
    return { activityId: activity.id, activity: queuedStreamActivity(activity, user.name || user.email), environments, parent };
  });
  // Delete ends on the parent's page, from the server: the environment's own page may already be
  // a 404 (a fast delete refreshes it) before a client-side navigation could run.
  if (result.ok && result.values.action === "delete") {
    const at = `/projects/${encodeURIComponent(result.values.projectId ?? "")}${result.data.parent ? `/environments/${encodeURIComponent(result.data.parent)}` : ""}`;
    redirect(`${at}?deleted=${encodeURIComponent(result.values.environment ?? "")}&activity=${result.data.activityId}`);
  }
  // Otherwise no re-render here: the activity is only queued. The project's event stream updates the page as it runs and ends.
  return result.ok ? { ...result, data: { activityId: result.data.activityId, activity: result.data.activity, environments: result.data.environments } } : result;
}

/** Saves an environment's title and parent; the project's event stream shows them on every open page. */
export async function editEnvironmentAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(formData, ["projectId", "environment", "title", "parent"], editEnvironmentSchema, (db, user, input) =>
    updateEnvironment(db, user, input.projectId, input.environment, { title: input.title, parent: input.parent }),
  );
}

export async function cancelActivityAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["projectId", "activityId"], z.object({ projectId: z.string().min(1), activityId: z.string().min(1) }), (db, user, input) =>
    cancelActivity(db, user, input.projectId, input.activityId),
  );
  return result;
}

async function getParentName(db: Db, projectId: string, environment: string): Promise<string | null> {
  const env = await getEnvironmentByName(db, projectId, environment);
  if (!env?.parentId) return null;
  return (await listEnvironments(db, projectId)).find((e) => e.id === env.parentId)?.name ?? null;
}
