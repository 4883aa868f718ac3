"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { FormState } from "@/lib/errors";
import { createApiToken, revokeApiToken } from "@/lib/tokens/api-tokens";
import { runFormAction } from "./run-form-action";

const nameSchema = z.object({
  name: z.string().trim().min(1, "Name the token, for example “laptop”.").max(60, "Use at most 60 characters.").refine((v) => !/\p{Cc}/u.test(v), "No control characters."),
});

export async function createApiTokenAction(_prev: FormState<{ token: string }>, formData: FormData): Promise<FormState<{ token: string }>> {
  const result = await runFormAction(formData, ["name"], nameSchema, async (db, user, input) => ({ token: (await createApiToken(db, user, input.name)).token }));
  if (result.ok) revalidatePath("/account");
  return result;
}

export async function revokeApiTokenAction(_prev: FormState, formData: FormData): Promise<FormState> {
  const result = await runFormAction(formData, ["tokenId"], z.object({ tokenId: z.string().min(1) }), (db, user, input) => revokeApiToken(db, user, input.tokenId));
  if (result.ok) revalidatePath("/account");
  return result;
}
