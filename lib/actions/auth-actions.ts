"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { getDb } from "@/db/client";
import { signIn, signOut } from "@/lib/session/auth";
import { headers } from "next/headers";
import { clientInfo } from "@/lib/session/client-info";
import { DEACTIVATED, WRONG_CREDENTIALS, normalizeEmail } from "@/lib/auth/authenticate";
import { describeLockout, getLockout } from "@/lib/auth/sign-in-throttle";
import { fail, fieldErrorsOf, formValues, toActionFailure, type FormState } from "@/lib/errors";
import { seedDemoIfPending } from "@/lib/instance/demo";
import { createFirstAdministrator } from "@/lib/users/create-user";
import { firstAdministratorSchema, signInSchema } from "@/lib/users/validation";
import { safeReturnPath } from "@/lib/session/request-path";

export async function signInAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["email"]);
  const parsed = signInSchema.safeParse({ email: formData.get("email"), password: formData.get("password") });
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };

  const email = normalizeEmail(parsed.data.email);
  try {
    await signIn("credentials", { email, password: parsed.data.password, redirectTo: safeReturnPath(formData.get("callbackUrl")) });
    return null; // not reached: a successful sign-in redirects
  } catch (error) {
    if (error instanceof CredentialsSignin && error.code === "locked") {
      const lockout = await getLockout(await getDb(), email, clientInfo(await headers()).address);
      return { ...fail(describeLockout(lockout.isLocked ? lockout : { retryAfterSeconds: 15 * 60, scope: "pair" })), values };
    }
    if (error instanceof CredentialsSignin && error.code === "deactivated") return { ...fail(DEACTIVATED), values };
    if (error instanceof AuthError) {
      return { ...fail(error.type === "CredentialsSignin" ? WRONG_CREDENTIALS : "Sign-in failed. Try again."), values };
    }
    throw error; // the redirect that signals success
  }
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}

export async function createFirstAdministratorAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["name", "email"]);
  const parsed = firstAdministratorSchema.safeParse(Object.fromEntries(formData));
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  try {
    const db = await getDb();
    await seedDemoIfPending(db, await createFirstAdministrator(db, parsed.data));
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  await signIn("credentials", { email: parsed.data.email, password: parsed.data.password, redirectTo: "/projects" });
  return null;
}
