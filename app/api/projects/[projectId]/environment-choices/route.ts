import { projectRequest } from "@/lib/session/api-access";
import { findInactiveEnvironmentChoices } from "@/lib/environments/queries";

/** How many the environment switcher lists at once (it says when there are more: type to narrow). */
const LIMIT = 50;

/**
 * `?q=`: the inactive environments whose name or title contains it, newest first, at most 50
 * (`more` says there are others): what the header's environment switcher searches. Read-only;
 * the same access as the overview (a type the member may not see is left out).
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const text = (new URL(request.url).searchParams.get("q") ?? "").trim();
  if (text.length > 100) return Response.json({ error: "Search for at most 100 characters." }, { status: 400 });
  const found = await findInactiveEnvironmentChoices(r.db, r.access, { text, limit: LIMIT });
  return Response.json(found, { headers: { "cache-control": "no-store" } });
}
