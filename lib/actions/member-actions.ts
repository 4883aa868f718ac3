"use server";

import type { FormState } from "@/lib/errors";
import { addProjectMember, removeProjectMember, updateProjectMember } from "@/lib/projects/members";
import { addMemberSchema, removeMemberSchema, updateMemberSchema } from "@/lib/projects/validation";
import { runFormAction } from "./run-form-action";

const ROLE_FIELDS = ["role", "production", "staging", "development"] as const;

// No revalidation here: the change reaches every open page of the project (this one too) through its event stream.

export async function addProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(formData, ["projectId", "email", ...ROLE_FIELDS], addMemberSchema, (db, user, { projectId, email, ...roles }) =>
    addProjectMember(db, user, projectId, email, roles),
  );
}

export async function updateProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(
    formData,
    ["projectId", "userId", ...ROLE_FIELDS],
    updateMemberSchema,
    (db, user, { projectId, userId, ...roles }) => updateProjectMember(db, user, projectId, userId, roles),
    "Choose valid roles.",
  );
}

export async function removeProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  return runFormAction(
    formData,
    ["projectId", "userId"],
    removeMemberSchema,
    (db, user, input) => removeProjectMember(db, user, input.projectId, input.userId),
    "Choose a member to remove.",
  );
}
