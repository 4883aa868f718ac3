"use server";

import { getDb } from "@/db/client";
import { requestPause, settingsInputSchema, updateEnvironmentSettings } from "@/lib/environments/settings";
import { fail, fieldErrorsOf, formValues, ok, toActionFailure, type FormState } from "@/lib/errors";
import { SESSION_EXPIRED, getSessionUser } from "@/lib/session/session";

const box = (formData: FormData, name: string) => formData.get(name) === "on";
const text = (formData: FormData, name: string) => {
  const v = formData.get(name);
  return typeof v === "string" ? v : "";
};

/**
 * Saves an environment's HTTP access control and robots setting; the change redeploys it. Passwords never come back.
 * (No revalidation in these actions: the project's event stream shows the change and the activity on every open page.)
 */
export async function saveEnvironmentSettingsAction(_prev: FormState<{ activityId: string | null }>, formData: FormData): Promise<FormState<{ activityId: string | null }>> {
  const values = formValues(formData, ["projectId", "environment", "newUsername", "rules", "relayHost", "relayPort", "relayUsername"]);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = settingsInputSchema.safeParse({
    enabled: box(formData, "enabled"),
    newUsername: text(formData, "newUsername"),
    newPassword: text(formData, "newPassword"),
    removeUsernames: formData.getAll("removeUsername").filter((v): v is string => typeof v === "string"),
    rules: text(formData, "rules"),
    restrictRobots: box(formData, "restrictRobots"),
    outgoingEmail: box(formData, "outgoingEmail"),
    inheritAccess: box(formData, "inheritAccess"),
    relay: formData.has("relayHost")
      ? { host: text(formData, "relayHost"), port: text(formData, "relayPort"), secure: box(formData, "relaySecure"), username: text(formData, "relayUsername"), password: text(formData, "relayPassword") }
      : undefined,
    confirmLockout: box(formData, "confirmLockout"),
  });
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  try {
    const activity = await updateEnvironmentSettings(await getDb(), user, text(formData, "projectId"), text(formData, "environment"), parsed.data);
    return { ...ok({ activityId: activity?.id ?? null }), values: { ...values, newUsername: "" } };
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
}

/** Pause (`pause=1`) or resume an environment's site. */
export async function pauseEnvironmentAction(_prev: FormState<{ activityId: string }>, formData: FormData): Promise<FormState<{ activityId: string }>> {
  const user = await getSessionUser();
  if (!user) return fail(SESSION_EXPIRED);
  try {
    const activity = await requestPause(await getDb(), user, text(formData, "projectId"), text(formData, "environment"), text(formData, "pause") === "1");
    return ok({ activityId: activity.id });
  } catch (err) {
    return toActionFailure(err);
  }
}
