import { openActivityStream, streamHeaders, type StreamFormat } from "@/lib/activities/log-stream";
import { openLogDownload } from "@/lib/activities/log-download";
import { projectRequest } from "@/lib/session/api-access";
import { watchSession } from "@/lib/session/watch-session";
import { getVisibleActivity } from "@/lib/environments/queries";

export const dynamic = "force-dynamic";

/**
 * An activity's log, live. Server-Sent Events by default (one `line` event per line with
 * `id` = its number, `state` when the activity changes, `seal` when it has ended); a
 * reconnect with Last-Event-ID or `?after=N` resumes right after that line.
 * `?format=ndjson` answers the same as JSON lines (`&follow=0`: what is stored now, then
 * close), `?format=text` the raw text as a download. Scripts authenticate with HTTP basic
 * auth: their email and an API token.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; activityId: string }> }) {
  const { projectId, activityId } = await params;
  const r = await projectRequest(request, projectId);
  if ("denied" in r) return r.denied;
  const { db } = r;
  const activity = await getVisibleActivity(db, r.access, activityId);
  if (!activity) return Response.json({ error: "Not found." }, { status: 404 });

  const url = new URL(request.url);
  const format = url.searchParams.get("format") ?? "sse";
  if (format === "text") {
    const name = `${activity.environmentName ?? "project"}-${activity.type.replace(/^(environment|project)\./, "")}-${activity.id.slice(0, 8)}.log`;
    return new Response(openLogDownload(db, activity.id), {
      headers: { "content-type": "text/plain; charset=utf-8", "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" },
    });
  }
  if (format !== "sse" && format !== "ndjson") return Response.json({ error: "format must be sse, ndjson or text." }, { status: 400 });
  const lastEventId = request.headers.get("last-event-id");
  const afterText = lastEventId ?? url.searchParams.get("after") ?? "0";
  if (!/^\d{1,10}$/.test(afterText)) return Response.json({ error: "after (or Last-Event-ID) must be a line number: 0 or more." }, { status: 400 });
  const follow = url.searchParams.get("follow") !== "0";
  const stream = openActivityStream(db, activity, { after: Number(afterText), format: format as StreamFormat, follow, closeWhen: (close) => watchSession(r, close) });
  return new Response(stream, { headers: streamHeaders(format as StreamFormat) });
}
