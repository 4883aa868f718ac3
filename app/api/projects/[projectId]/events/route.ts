import { subscribeToProject } from "@/lib/activities/project-events";
import { canSeeEnvironmentType } from "@/lib/auth/permissions";
import { keepRunnerReady } from "@/lib/process-runner";
import { projectRequest } from "@/lib/session/api-access";
import { watchSession } from "@/lib/session/watch-session";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 25_000;

/**
 * The project's live events (Server-Sent Events): one connection per open project page.
 * `activity` says an activity the user may see changed state; the page refetches what shows
 * it. Closes when the session ends or the client goes.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const r = await projectRequest(request, (await params).projectId);
  if ("denied" in r) return r.denied;
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      send(`retry: 2000\nevent: ready\ndata: {}\n\n`);
      const unsubscribe = await subscribeToProject(r.db, r.access.project.id, (event) => {
        if (event.environmentType && !canSeeEnvironmentType(r.access, event.environmentType)) return;
        const { activityId: id, state, environmentId, description, ended } = event;
        send(`event: activity\ndata: ${JSON.stringify({ id, state, environmentId, description, ended })}\n\n`);
      });
      const heartbeat = setInterval(() => send(`: keep-alive\n\n`), HEARTBEAT_MS);
      // Someone is looking at the project: its buttons' git questions should not wait for the runner to start.
      const releaseRunner = keepRunnerReady();
      const stopWatching = watchSession(r, () => cleanup());
      cleanup = () => {
        clearInterval(heartbeat);
        releaseRunner();
        stopWatching();
        unsubscribe();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
        cleanup = () => {};
      };
      request.signal.addEventListener("abort", () => cleanup(), { once: true });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store, no-transform", "x-accel-buffering": "no" } });
}
