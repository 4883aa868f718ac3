"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db/client";
import { SESSION_EXPIRED, getSessionUser } from "@/lib/auth/session";
import { fail, fieldErrorsOf, formValues, ok, toActionFailure, type FormState } from "@/lib/errors";
import { addProjectMember, removeProjectMember, updateProjectMember } from "@/lib/projects/members";
import { addMemberSchema, removeMemberSchema, updateMemberSchema } from "@/lib/projects/validation";

const ROLE_FIELDS = ["role", "production", "staging", "development"] as const;

export async function addProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["projectId", "email", ...ROLE_FIELDS]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = addMemberSchema.safeParse(values);
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  const { projectId, email, ...roles } = parsed.data;
  try {
    await addProjectMember(await getDb(), user, projectId, email, roles);
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  revalidatePath(`/projects/${projectId}`, "layout");
  return ok(undefined);
}

export async function updateProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["projectId", "userId", ...ROLE_FIELDS]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = updateMemberSchema.safeParse(values);
  if (!parsed.success) return { ...fail(parsed.error.issues[0]?.message ?? "Choose valid roles."), values };
  const { projectId, userId, ...roles } = parsed.data;
  try {
    await updateProjectMember(await getDb(), user, projectId, userId, roles);
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  revalidatePath(`/projects/${projectId}`, "layout");
  return { ...ok(undefined), values };
}

export async function removeProjectMemberAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["projectId", "userId"]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = removeMemberSchema.safeParse(values);
  if (!parsed.success) return { ...fail("Choose a member to remove."), values };
  try {
    await removeProjectMember(await getDb(), user, parsed.data.projectId, parsed.data.userId);
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  revalidatePath(`/projects/${parsed.data.projectId}`, "layout");
  return ok(undefined);
}
