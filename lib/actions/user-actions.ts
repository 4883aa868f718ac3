"use server";

import { revalidatePath } from "next/cache";
import { canManageUsers } from "@/lib/auth/permissions";
import { DomainError, type FormState } from "@/lib/errors";
import { seedDemoIfPending } from "@/lib/instance/demo";
import { createInvitation } from "@/lib/projects/invitations";
import { publicBaseUrl } from "@/lib/session/public-url";
import { createPasswordResetLink } from "@/lib/users/account-links";
import { createUser } from "@/lib/users/create-user";
import { deactivateUser, deleteUser, reactivateUser, unlockUser, updateUser } from "@/lib/users/manage-users";
import { emailSchema, newUserSchema, updateUserSchema, userIdSchema } from "@/lib/users/validation";
import { z } from "zod";
import { runFormAction } from "./run-form-action";

export async function createUserAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["name", "email", "password", "isAdmin"], newUserSchema, async (db, user, input) => {
    if (!canManageUsers(user)) throw new DomainError("forbidden", "Only instance administrators can add users.");
    await seedDemoIfPending(db, await createUser(db, { ...input, isAdmin: formData.get("isAdmin") === "on" }));
  });
  if (result.ok) {
    revalidatePath("/admin/users");
    return { ok: true, data: undefined }; // the form starts empty again
  }
  // Never send the password back to the browser.
  const { password: _password, ...values } = result.values;
  return { ...result, values };
}

export async function updateUserAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["userId", "name", "isAdmin"], updateUserSchema, (db, user, input) =>
    updateUser(db, user, input.userId, { name: input.name, isAdmin: input.isAdmin === "on" }),
  );
  if (result.ok) revalidatePath("/admin/users");
  return result;
}

/** Deactivate, reactivate, delete or unlock one user: the button's `intent` says which. */
export async function manageUserAction(_prev: FormState<{ message: string }>, formData: FormData): Promise<FormState<{ message: string }>> {
  const schema = userIdSchema.extend({ intent: z.enum(["deactivate", "reactivate", "delete", "unlock"], { error: "Choose what to do with the user." }) });
  const result = await runFormAction(formData, ["userId", "intent"], schema, async (db, user, { userId, intent }) => {
    if (intent === "deactivate") {
      if (userId === user.id) throw new DomainError("conflict", "You cannot deactivate yourself. Ask another administrator.");
      await deactivateUser(db, user, userId);
      return { message: "Deactivated. Their sessions have ended and their API tokens no longer work." };
    }
    if (intent === "reactivate") {
      await reactivateUser(db, user, userId);
      return { message: "Reactivated. They can sign in again." };
    }
    if (intent === "delete") {
      if (userId === user.id) throw new DomainError("conflict", "You cannot delete yourself. Ask another administrator.");
      await deleteUser(db, user, userId);
      return { message: "Deleted." };
    }
    const removed = await unlockUser(db, user, userId);
    return { message: removed > 0 ? "Unlocked: they can sign in from anywhere again." : "Nothing to unlock." };
  });
  if (result.ok) revalidatePath("/admin/users");
  return result;
}

/** A one-time link that sets the user's password, shown once to the administrator. */
export async function createResetLinkAction(_prev: FormState<{ link: string; expiresAt: string }>, formData: FormData): Promise<FormState<{ link: string; expiresAt: string }>> {
  return runFormAction(formData, ["userId"], userIdSchema, async (db, user, { userId }) => {
    const { token, expiresAt } = await createPasswordResetLink(db, user, userId);
    return { link: `${await publicBaseUrl()}/reset-password/${token}`, expiresAt: expiresAt.toISOString() };
  });
}

/** An instance-level invitation (no project): the link lets the person create their account. */
export async function createInstanceInvitationAction(_prev: FormState<{ link: string; expiresAt: string }>, formData: FormData): Promise<FormState<{ link: string; expiresAt: string }>> {
  const result = await runFormAction(formData, ["email"], z.object({ email: emailSchema }), async (db, user, { email }) => {
    const { token, expiresAt } = await createInvitation(db, user, { email });
    return { link: `${await publicBaseUrl()}/invite/${token}`, expiresAt: expiresAt.toISOString() };
  });
  if (result.ok) revalidatePath("/admin/users");
  return result;
}
