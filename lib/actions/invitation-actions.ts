"use server";

import { revalidatePath } from "next/cache";
import { signIn } from "@/lib/session/auth";
import { fail, fieldErrorsOf, formValues, toActionFailure, type FormState } from "@/lib/errors";
import { getDb } from "@/db/client";
import { acceptInvitation, createInvitation, revokeInvitation } from "@/lib/projects/invitations";
import { invitationIdSchema, inviteMemberSchema } from "@/lib/projects/validation";
import { publicBaseUrl } from "@/lib/session/public-url";
import { resetPasswordWithLink } from "@/lib/users/account-links";
import { acceptInvitationSchema, setPasswordWithLinkSchema } from "@/lib/users/validation";
import { runFormAction } from "./run-form-action";

type LinkState = FormState<{ link: string; expiresAt: string }>;

/** A project admin (or instance administrator) invites someone into the project with chosen roles; the project's event stream shows it pending. */
export async function inviteMemberAction(_prev: LinkState, formData: FormData): Promise<LinkState> {
  return runFormAction(formData, ["projectId", "email", "role", "production", "staging", "development"], inviteMemberSchema, async (db, user, { projectId, email, ...roles }) => {
    const { token, expiresAt } = await createInvitation(db, user, { email, projectId, roles });
    return { link: `${await publicBaseUrl()}/invite/${token}`, expiresAt: expiresAt.toISOString() };
  });
}

/**
 * Withdraws an invitation. On a project's Access page (`projectId` sent) the project's event
 * stream shows it gone; the Users page lists every project's and the instance's invitations and
 * has no stream, so it alone is rendered again.
 */
export async function revokeInvitationAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["invitationId", "projectId"], invitationIdSchema, async (db, user, input) => {
    await revokeInvitation(db, user, input.invitationId);
  });
  if (result.ok && !result.values.projectId) revalidatePath("/admin/users");
  return result;
}

/** The invitation page: creates the account, signs the person in and opens the project. */
export async function acceptInvitationAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const values = formValues(formData, ["token", "name"]);
  const parsed = acceptInvitationSchema.safeParse(formValues(formData, ["token", "name", "password", "confirmPassword"]));
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  let target: { email: string; projectId: string | null };
  try {
    target = await acceptInvitation(await getDb(), parsed.data.token, parsed.data);
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
  await signIn("credentials", { email: target.email, password: parsed.data.password, redirectTo: target.projectId ? `/projects/${target.projectId}` : "/projects" });
  return null;
}

/** The reset page: sets the password through the link, then signs in with it. */
export async function resetPasswordAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const parsed = setPasswordWithLinkSchema.safeParse(formValues(formData, ["token", "password", "confirmPassword"]));
  if (!parsed.success) return fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues));
  let email: string;
  try {
    ({ email } = await resetPasswordWithLink(await getDb(), parsed.data.token, parsed.data.password));
  } catch (err) {
    return toActionFailure(err);
  }
  await signIn("credentials", { email, password: parsed.data.password, redirectTo: "/projects" });
  return null;
}

