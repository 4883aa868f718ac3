import { listEnvironmentLogs } from "@/lib/environments/app-logs";
import { environmentRequest } from "@/lib/session/api-access";

export const dynamic = "force-dynamic";

/** The environment's application logs written so far: `{ logs: [{ name, bytes, modifiedAt, parts }] }`. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  const logs = await listEnvironmentLogs(r.access, r.env);
  if (!logs) return Response.json({ error: "Not found." }, { status: 404 });
  return Response.json({ logs }, { headers: { "cache-control": "no-store" } });
}
