import { streamFilterSchema } from "@/lib/activity-stream-filter";
import { listActivityStream } from "@/lib/environments/activity-stream";
import { projectRequest, visibleEnvironment } from "@/lib/session/api-access";
import { DomainError } from "@/lib/errors";

/**
 * The activity stream: `running`, `pending`, then `recent` 20 at a time (`nextCursor` for
 * the next page). Filters: environment, type, state, result.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const { db, access } = r;
  const query = Object.fromEntries([...new URL(request.url).searchParams].filter(([, v]) => v !== ""));
  const parsed = streamFilterSchema.safeParse(query);
  if (!parsed.success) return Response.json({ error: parsed.error.issues.map((i) => i.message).join(" ") }, { status: 400 });
  const env = parsed.data.environment ? await visibleEnvironment(r, parsed.data.environment) : null;
  if (parsed.data.environment && !env) return Response.json({ error: "Not found." }, { status: 404 });
  try {
    const page = await listActivityStream(db, access, { ...parsed.data, environmentId: env?.id });
    return Response.json(page, { headers: { "cache-control": "no-store" } });
  } catch (err) {
    if (err instanceof DomainError) return Response.json({ error: err.message }, { status: 400 });
    throw err;
  }
}
