"use server";

import { redirect } from "next/navigation";
import type { FormState } from "@/lib/errors";
import { createProject } from "@/lib/projects/create-project";
import { deleteProject, renameProject, setAutoPauseDays, setDefaultBranchParent } from "@/lib/projects/update-project";
import { autoPauseSchema, createProjectSchema, defaultBranchParentSchema, deleteProjectSchema, renameProjectSchema } from "@/lib/projects/validation";
import { runFormAction } from "./run-form-action";

// No revalidation here. A change to a project reaches its open pages (this one too) through the
// project's event stream; creating and deleting end on another page, which a redirect from an
// action renders whole (the header's project list included).

export async function createProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["title", "id", "plan", "region"], createProjectSchema, (db, user, input) =>
    createProject(db, user, input),
  );
  if (!result.ok) return result;
  redirect(`/projects/${result.data.id}`);
}

export async function renameProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(formData, ["projectId", "title"], renameProjectSchema, async (db, user, input) => {
    await renameProject(db, user, input.projectId, input.title);
  });
}

export async function deleteProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(
    formData,
    ["projectId", "confirmation"],
    deleteProjectSchema,
    (db, user, input) => deleteProject(db, user, input.projectId, input.confirmation),
    "Type the project id to confirm.",
  );
  if (!result.ok) return result;
  redirect("/projects");
}

export async function setDefaultBranchParentAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(formData, ["projectId", "parent"], defaultBranchParentSchema, (db, user, input) =>
    setDefaultBranchParent(db, user, input.projectId, input.parent === "" ? null : input.parent),
  );
}

/** The project's "pause environments not deployed for N days" (0: never). */
export async function setAutoPauseDaysAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(formData, ["projectId", "days"], autoPauseSchema, (db, user, input) => setAutoPauseDays(db, user, input.projectId, input.days));
}
