"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { SESSION_EXPIRED, getSessionUser } from "@/lib/auth/session";
import { fail, fieldErrorsOf, formValues, ok, toActionFailure, type FormState } from "@/lib/errors";
import { createProject } from "@/lib/projects/create-project";
import { deleteProject, renameProject } from "@/lib/projects/update-project";
import { createProjectSchema, deleteProjectSchema, renameProjectSchema } from "@/lib/projects/validation";

export async function createProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["title", "id", "plan", "region"]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = createProjectSchema.safeParse(values);
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  let projectId: string;
  try {
    projectId = (await createProject(await getDb(), user, parsed.data)).id;
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  revalidatePath("/", "layout");
  redirect(`/projects/${projectId}`);
}

export async function renameProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["projectId", "title"]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = renameProjectSchema.safeParse(values);
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  try {
    await renameProject(await getDb(), user, parsed.data.projectId, parsed.data.title);
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  revalidatePath("/", "layout");
  return { ...ok(undefined), values };
}

export async function deleteProjectAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["projectId", "confirmation"]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = deleteProjectSchema.safeParse(values);
  if (!parsed.success) return { ...fail("Type the project id to confirm."), values };
  try {
    await deleteProject(await getDb(), user, parsed.data.projectId, parsed.data.confirmation);
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  revalidatePath("/", "layout");
  redirect("/projects");
}
