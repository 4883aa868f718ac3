"use server";

import { z } from "zod";
import { getDb } from "@/db/client";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { fail, fieldErrorsOf, formValues, ok, toActionFailure, type FormState } from "@/lib/errors";
import { SESSION_EXPIRED, getSessionUser } from "@/lib/session/session";
import { createVariable, deleteVariable, importVariables, updateVariable, variableInputSchema, type ImportResult } from "@/lib/variables/variables";

const FIELDS = ["projectId", "environment", "name", "value", "isJson", "isSensitive", "visibleBuild", "visibleRuntime", "inheritable"] as const;
const box = (formData: FormData, name: string) => formData.get(name) === "on";

/** The add and edit forms' fields (unticked boxes are absent from a form) through the one schema. */
function parseVariableForm(formData: FormData, enabled: boolean) {
  const text = (name: string) => {
    const v = formData.get(name);
    return typeof v === "string" ? v : "";
  };
  return variableInputSchema.safeParse({
    name: text("name"),
    value: text("value"),
    isJson: box(formData, "isJson"),
    isSensitive: box(formData, "isSensitive"),
    visibleBuild: box(formData, "visibleBuild"),
    visibleRuntime: box(formData, "visibleRuntime"),
    inheritable: box(formData, "inheritable"),
    enabled,
  });
}

// No revalidation in these actions: the project's event stream shows a change on every open page of the project.

/** What a save did, for the panel's notice: the activity recording it, queued when it redeploys its environment. */
export interface VariableSaveResult {
  activityId: string;
  redeploys: boolean;
  environment: string | null;
}

/** Adds a project variable (no `environment`) or an environment's own. The value never comes back. */
export async function createVariableAction(_prev: FormState<VariableSaveResult>, formData: FormData): Promise<FormState<VariableSaveResult>> {
  const { value: _value, ...values } = formValues(formData, FIELDS);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = parseVariableForm(formData, true);
  if (!parsed.success) return { ...fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues)), values };
  try {
    const db = await getDb();
    const access = await requireProjectAccess(db, user, String(formData.get("projectId") ?? ""));
    const environment = String(formData.get("environment") ?? "");
    const saved = await createVariable(db, access, environment || null, parsed.data, user.id);
    return ok({ activityId: saved.activityId, redeploys: saved.redeploys, environment: saved.variable.environment });
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
}

export async function deleteVariableAction(_prev: FormState<VariableSaveResult>, formData: FormData): Promise<FormState<VariableSaveResult>> {
  const user = await getSessionUser();
  if (!user) return fail(SESSION_EXPIRED);
  const parsed = z.object({ projectId: z.string().min(1), variableId: z.string().min(1).max(100) }).safeParse(formValues(formData, ["projectId", "variableId"]));
  if (!parsed.success) return fail("Choose a variable to delete.");
  try {
    const db = await getDb();
    const access = await requireProjectAccess(db, user, parsed.data.projectId);
    const saved = await deleteVariable(db, access, parsed.data.variableId, user.id);
    return ok({ activityId: saved.activityId, redeploys: saved.redeploys, environment: saved.environment });
  } catch (err) {
    return toActionFailure(err);
  }
}

/** Changes a variable; for a sensitive one an empty value keeps the stored secret. */
export async function updateVariableAction(_prev: FormState<VariableSaveResult>, formData: FormData): Promise<FormState<VariableSaveResult>> {
  const user = await getSessionUser();
  if (!user) return fail(SESSION_EXPIRED);
  const parsed = parseVariableForm(formData, box(formData, "enabled"));
  if (!parsed.success) return fail("Check the highlighted fields.", fieldErrorsOf(parsed.error.issues));
  try {
    const db = await getDb();
    const access = await requireProjectAccess(db, user, String(formData.get("projectId") ?? ""));
    const saved = await updateVariable(db, access, String(formData.get("variableId") ?? ""), parsed.data, user.id);
    return ok({ activityId: saved.activityId, redeploys: saved.redeploys, environment: saved.variable.environment });
  } catch (err) {
    return toActionFailure(err);
  }
}

/** What an import did, for the panel's notice. */
export interface VariableImportResult extends Omit<ImportResult, "activityId"> {
  activityId: string | null;
  environment: string | null;
}

/** Creates or changes several variables of a level from pasted `.env` text (one activity, one redeploy). */
export async function importVariablesAction(_prev: FormState<VariableImportResult>, formData: FormData): Promise<FormState<VariableImportResult>> {
  // The pasted text is not sent back (it may hold secrets): the form keeps it on the client.
  const values = formValues(formData, ["projectId", "environment"]);
  const text = formData.get("text");
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  try {
    const db = await getDb();
    const access = await requireProjectAccess(db, user, values.projectId ?? "");
    const environment = values.environment || null;
    const result = await importVariables(db, access, environment, typeof text === "string" ? text : "", { shellPrefix: box(formData, "shellPrefix"), sensitive: box(formData, "sensitive") }, user.id);
    return ok({ ...result, environment });
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
}
