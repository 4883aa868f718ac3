"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db/client";
import { canManageUsers } from "@/lib/auth/permissions";
import { SESSION_EXPIRED, getSessionUser } from "@/lib/auth/session";
import { fail, fieldErrorsOf, formValues, ok, toActionFailure, type FormState } from "@/lib/errors";
import { createUser } from "@/lib/users/create-user";
import { newUserSchema } from "@/lib/users/validation";

export async function createUserAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["name", "email"]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  if (!canManageUsers(user)) return { ...fail("Only instance administrators can add users."), values };
  const parsed = newUserSchema.safeParse(Object.fromEntries(formData));
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  try {
    await createUser(await getDb(), { ...parsed.data, isAdmin: formData.get("isAdmin") === "on" });
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  revalidatePath("/admin/users");
  return ok(undefined);
}
