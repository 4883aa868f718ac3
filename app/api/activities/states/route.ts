import { z } from "zod";
import { getDb } from "@/db/client";
import { getSessionUser } from "@/lib/session/session";
import { getVisibleActivityStates } from "@/lib/environments/activity-states";

const idsSchema = z
  .string()
  .regex(/^[0-9a-f-]{36}(,[0-9a-f-]{36}){0,19}$/, "ids must be 1 to 20 activity ids, comma-separated.");

/** The state of up to 20 activities the user may see (for "your activity ended" notices). */
export async function GET(request: Request) {
  const user = await getSessionUser();
  if (!user) return Response.json({ error: "Sign in first." }, { status: 401 });
  const parsed = idsSchema.safeParse(new URL(request.url).searchParams.get("ids") ?? "");
  if (!parsed.success) return Response.json({ error: parsed.error.issues[0]!.message }, { status: 400 });
  const states = await getVisibleActivityStates(await getDb(), user, parsed.data.split(","));
  return Response.json(states, { headers: { "cache-control": "no-store" } });
}
