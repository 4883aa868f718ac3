"use server";

import { revalidatePath } from "next/cache";
import type { FormState } from "@/lib/errors";
import { addProjectMember, removeProjectMember, updateProjectMember } from "@/lib/projects/members";
import { addMemberSchema, removeMemberSchema, updateMemberSchema } from "@/lib/projects/validation";
import { runFormAction } from "./run-form-action";

const ROLE_FIELDS = ["role", "production", "staging", "development"] as const;

export async function addProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["projectId", "email", ...ROLE_FIELDS], addMemberSchema, (db, user, { projectId, email, ...roles }) =>
    addProjectMember(db, user, projectId, email, roles),
  );
  if (result.ok) revalidatePath(`/projects/${result.values.projectId}`, "layout");
  return result;
}

export async function updateProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(
    formData,
    ["projectId", "userId", ...ROLE_FIELDS],
    updateMemberSchema,
    (db, user, { projectId, userId, ...roles }) => updateProjectMember(db, user, projectId, userId, roles),
    "Choose valid roles.",
  );
  if (result.ok) revalidatePath(`/projects/${result.values.projectId}`, "layout");
  return result;
}

export async function removeProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(
    formData,
    ["projectId", "userId"],
    removeMemberSchema,
    (db, user, input) => removeProjectMember(db, user, input.projectId, input.userId),
    "Choose a member to remove.",
  );
  if (result.ok) revalidatePath(`/projects/${result.values.projectId}`, "layout");
  return result;
}
