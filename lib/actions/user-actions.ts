"use server";

import { revalidatePath } from "next/cache";
import { canManageUsers } from "@/lib/auth/permissions";
import { DomainError, type FormState } from "@/lib/errors";
import { seedDemoIfPending } from "@/lib/instance/demo";
import { createUser } from "@/lib/users/create-user";
import { newUserSchema } from "@/lib/users/validation";
import { runFormAction } from "./run-form-action";

export async function createUserAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["name", "email", "password", "isAdmin"], newUserSchema, async (db, user, input) => {
    if (!canManageUsers(user)) throw new DomainError("forbidden", "Only instance administrators can add users.");
    await seedDemoIfPending(db, await createUser(db, { ...input, isAdmin: formData.get("isAdmin") === "on" }));
  });
  // Never send the password back to the browser.
  const { password: _password, ...values } = result.values;
  if (result.ok) revalidatePath("/admin/users");
  return { ...result, values };
}
