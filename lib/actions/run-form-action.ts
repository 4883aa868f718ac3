import "server-only";
import type { z } from "zod";
import { getDb, type Db } from "@/db/client";
import type { SessionUser } from "@/lib/auth/permissions";
import { SESSION_EXPIRED, getSessionUser } from "@/lib/session/session";
import { fail, fieldErrorsOf, formValues, ok, toActionFailure, type ActionResult } from "@/lib/errors";

export type FormResult<T> = ActionResult<T> & { values: Record<string, string> };

/**
 * The steps every form action takes: read the named fields, require a session, validate
 * with zod, then run the domain call (which checks permissions itself). Expected failures
 * come back as a sentence (and field errors) with the submitted values; nothing is written.
 */
export async function runFormAction<S extends z.ZodType, T>(
  formData: FormData,
  fields: readonly string[],
  schema: S,
  run: (db: Db, user: SessionUser, input: z.output<S>) => Promise<T>,
  invalidMessage = "Check the highlighted fields.",
): Promise<FormResult<T>> {
  const values = formValues(formData, fields);
  const user = await getSessionUser();
  if (!user) return { ...fail(SESSION_EXPIRED), values };
  const parsed = schema.safeParse(values);
  if (!parsed.success) return { ...fail(invalidMessage, fieldErrorsOf(parsed.error.issues)), values };
  try {
    return { ...ok(await run(await getDb(), user, parsed.data)), values };
  } catch (err) {
    return { ...toActionFailure(err), values };
  }
}
