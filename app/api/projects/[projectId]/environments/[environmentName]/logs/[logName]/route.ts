import { DEFAULT_TAIL_LINES, MAX_TAIL_LINES, appLogDownloadName, checkAppLogName, openAppLogDownload, openAppLogStream } from "@/lib/environments/app-logs";
import { environmentRequest } from "@/lib/session/api-access";
import { watchSession } from "@/lib/session/watch-session";

export const dynamic = "force-dynamic";

const badRequest = (error: string) => Response.json({ error }, { status: 400 });

/**
 * One application log of an environment (access, error, app, worker-<name>, deploy, post-deploy).
 * `?lines=N` (default 1,000, at most 100,000): the newest lines as NDJSON, `{"line","offset"}`
 * each (`offset`: the byte offset just after the line). `&follow=1`: then new lines as they are
 * written, as NDJSON, or as Server-Sent Events when the client accepts text/event-stream (`id:`
 * the offset; Last-Event-ID or `?from=<offset>` resumes just after it). `?download=1`: the
 * current file as text. Viewers and up of the environment's type; anyone else gets 404.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; logName: string }> }) {
  const { projectId, environmentName, logName } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  let decoded: string;
  try {
    decoded = decodeURIComponent(logName);
  } catch {
    decoded = logName;
  }
  const check = checkAppLogName(decoded);
  if (!check.ok) return badRequest(check.error);
  const name = check.name;
  const url = new URL(request.url);

  if (url.searchParams.get("download") === "1") {
    const body = await openAppLogDownload(r.access, r.env, name);
    if (!body) return Response.json({ error: "This log has not been written yet." }, { status: 404 });
    return new Response(body, {
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "content-disposition": `attachment; filename="${appLogDownloadName(r.env, name)}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  }

  const linesText = url.searchParams.get("lines") ?? String(DEFAULT_TAIL_LINES);
  if (!/^\d{1,6}$/.test(linesText) || Number(linesText) > MAX_TAIL_LINES) return badRequest(`lines must be a number of lines from 0 to ${MAX_TAIL_LINES.toLocaleString("en-US")}.`);
  const follow = url.searchParams.get("follow") === "1";
  const sse = follow && (request.headers.get("accept") ?? "").includes("text/event-stream");
  const fromText = (sse ? request.headers.get("last-event-id") : null) ?? url.searchParams.get("from");
  if (fromText !== null && !/^\d{1,15}$/.test(fromText)) return badRequest("from (or Last-Event-ID) must be a byte offset: 0 or more.");

  const stream = openAppLogStream(r.access, r.env, name, {
    lines: Number(linesText),
    from: fromText === null ? null : Number(fromText),
    follow,
    format: sse ? "sse" : "ndjson",
    signal: request.signal,
    closeWhen: (close) => watchSession(r, close),
  });
  if (!stream) return Response.json({ error: "Not found." }, { status: 404 });
  return new Response(stream, {
    headers: {
      "content-type": sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "cache-control": "no-cache, no-store, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
