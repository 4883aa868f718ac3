"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db/client";
import { revokeOwnSession, revokeUserSessions } from "@/lib/auth/user-sessions";
import { fail, fieldErrorsOf, formValues, ok, toActionFailure, type FormState } from "@/lib/errors";
import { SESSION_EXPIRED, getCurrentSession } from "@/lib/session/session";
import { changePassword, updateOwnName } from "@/lib/users/account";
import { changePasswordSchema, updateNameSchema } from "@/lib/users/validation";
import { runFormAction } from "./run-form-action";

// The account page has no event stream: each action renders it again (the header with the name too), and nothing else.

export async function updateOwnNameAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["name"], updateNameSchema, (db, user, input) => updateOwnName(db, user, input.name));
  if (result.ok) revalidatePath("/account");
  return result;
}

/** Passwords are never sent back to the browser, on success or failure. */
export async function changePasswordAction(_prev: FormState<{ ended: number }>, formData: FormData): Promise<FormState<{ ended: number }>> {
  const session = await getCurrentSession();
  if (!session) return fail(SESSION_EXPIRED);
  const parsed = changePasswordSchema.safeParse(formValues(formData, ["currentPassword", "password", "confirmPassword"]));
  if (!parsed.success) return fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues));
  try {
    const ended = await changePassword(await getDb(), session.user, session.sessionId, parsed.data.currentPassword, parsed.data.password);
    revalidatePath("/account");
    return ok({ ended });
  } catch (err) {
    return toActionFailure(err);
  }
}

export async function signOutOtherSessionsAction(_prev: FormState<{ ended: number }>): Promise<FormState<{ ended: number }>> {
  const session = await getCurrentSession();
  if (!session) return fail(SESSION_EXPIRED);
  const ended = await revokeUserSessions(await getDb(), session.user.id, session.sessionId);
  revalidatePath("/account");
  return ok({ ended });
}

export async function revokeSessionAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const session = await getCurrentSession();
  if (!session) return fail(SESSION_EXPIRED);
  const sessionId = formData.get("sessionId");
  if (typeof sessionId !== "string" || sessionId === session.sessionId) return fail("Choose another session; to end this one, sign out.");
  if (!(await revokeOwnSession(await getDb(), session.user.id, sessionId))) return fail("This session has already ended.");
  revalidatePath("/account");
  return ok(undefined);
}
