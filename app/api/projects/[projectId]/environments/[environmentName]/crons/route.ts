import { cronAlert, cronsPause, cronsScheduled, cronStatuses } from "@/lib/crons/cron-status";
import { cronViews } from "@/lib/crons/cron-view";
import { latestDeployment } from "@/lib/environments/queries";
import { environmentRequest } from "@/lib/session/api-access";

/**
 * The crons of an environment's deployed application: each with its spec, in words, its next
 * time, its last run, failures in a row, its last miss and what runs now; whether they are paused,
 * and whether this server schedules them.
 */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  const { db, env } = r;
  const [deployment, statuses, pause] = await Promise.all([latestDeployment(db, env.id), cronStatuses(db, env.id), cronsPause(db, env)]);
  const app = env.status !== "inactive" && deployment ? deployment.config.app : null;
  const crons = app
    ? cronViews(app, `${projectId}/${env.name}`, new Date()).map((c) => {
        const status = statuses[c.name] ?? null;
        return { ...c, status, alert: status ? cronAlert(c.name, status) : null };
      })
    : [];
  return Response.json(
    { environment: env.name, timezone: app?.timezone ?? "UTC", scheduled: cronsScheduled() && !env.pausedAt && !pause, paused: pause, environmentPaused: env.pausedAt?.toISOString() ?? null, crons },
    { headers: { "cache-control": "no-store" } },
  );
}
