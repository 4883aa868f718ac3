import { subscribeToProject } from "@/lib/activities/project-events";
import { canSeeEnvironmentType } from "@/lib/auth/permissions";
import { getProjectAccess } from "@/lib/auth/project-access";
import { keepRunnerReady } from "@/lib/process-runner";
import { projectRequest } from "@/lib/session/api-access";
import { watchSession } from "@/lib/session/watch-session";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 25_000;

/**
 * The project's live events (Server-Sent Events): one connection per open project page, the
 * one way the page learns that something it shows changed. `activity` says an activity the
 * user may see changed state; `change` says what else changed (the project, its members,
 * invitations, an environment, variables, snapshots; `deleted`). The page refetches what shows it.
 * Closes when the session ends, the user loses access to the project, it is deleted, or the
 * client goes.
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
      let access = r.access;
      const unsubscribe = await subscribeToProject(r.db, access.project.id, (event) => {
        if (event.environmentType && !canSeeEnvironmentType(access, event.environmentType)) return;
        if (event.kind === "activity") {
          const { activityId: id, state, environmentId, description, ended } = event;
          send(`event: activity\ndata: ${JSON.stringify({ id, state, environmentId, description, ended })}\n\n`);
          return;
        }
        send(`event: change\ndata: ${JSON.stringify({ change: event.change })}\n\n`);
        // The page reloads what it shows (a 404 once it is gone); this stream ends with the user's access.
        if (event.change === "deleted") cleanup();
        else if (event.change === "members") {
          void getProjectAccess(r.db, r.user, access.project.id).then(
            (now) => (now ? (access = now) : cleanup()),
            () => {}, // a database hiccup is not a removal; the next change decides
          );
        }
      });
      // Ready once subscribed: the page then looks at what changed before (since it was rendered, or while it was disconnected).
      send(`retry: 2000\nevent: ready\ndata: {}\n\n`);
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
