import { getDb } from "@/db/client";
import { listActivityStream, streamFilterSchema } from "@/lib/activities/activity-stream";
import { getRequestUser } from "@/lib/auth/request-user";
import { DomainError } from "@/lib/errors";
import { getEnvironmentByName } from "@/lib/environments/queries";
import { getProjectAccess } from "@/lib/projects/access";

/**
 * The activity stream: `running`, `pending`, then `recent` 20 at a time (`nextCursor` for
 * the next page). Filters: environment, type, state, result.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const auth = await getRequestUser(request);
  if (!auth) return Response.json({ error: "Sign in first, or send your email and an API token (HTTP basic auth)." }, { status: 401 });
  const { user } = auth;
  const db = await getDb();
  const access = await getProjectAccess(db, user, (await params).projectId);
  if (!access) return Response.json({ error: "Not found." }, { status: 404 });
  const query = Object.fromEntries([...new URL(request.url).searchParams].filter(([, v]) => v !== ""));
  const parsed = streamFilterSchema.safeParse(query);
  if (!parsed.success) return Response.json({ error: parsed.error.issues.map((i) => i.message).join(" ") }, { status: 400 });
  const env = parsed.data.environment ? await getEnvironmentByName(db, access.project.id, parsed.data.environment) : null;
  if (parsed.data.environment && !env) return Response.json({ error: "Not found." }, { status: 404 });
  try {
    const page = await listActivityStream(db, access, { ...parsed.data, environmentId: env?.id });
    return Response.json(page, { headers: { "cache-control": "no-store" } });
  } catch (err) {
    if (err instanceof DomainError) return Response.json({ error: err.message }, { status: 400 });
    throw err;
  }
}
