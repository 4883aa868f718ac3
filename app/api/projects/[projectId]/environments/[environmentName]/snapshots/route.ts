import { z } from "zod";
import { changeResponse, environmentRequest } from "@/lib/session/api-access";
import { hasRole } from "@/lib/auth/permissions";
import { listSnapshots, requestSnapshot, snapshotLimit } from "@/lib/snapshots/snapshots";

/** An environment's snapshots (newest first), with the running ones' progress, for the Backups panel. */
export async function GET(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  const r = await environmentRequest(request, projectId, environmentName);
  if ("denied" in r) return r.denied;
  const { db, access, env } = r;
  const [list, limit] = await Promise.all([listSnapshots(db, access, env), snapshotLimit(db, access, env)]);
  return Response.json(
    { snapshots: list, replaces: limit.replaces, manualLimit: limit.limit, canManage: hasRole(access.environmentRoles[env.type], "admin") },
    { headers: { "cache-control": "no-store" } },
  );
}

const createSchema = z.object({ consistency: z.enum(["consistent", "live"]).default("consistent"), replaceOldest: z.boolean().default(false) }).strict();

/** Create a snapshot (`{"consistency": "consistent" | "live", "replaceOldest": false}`): 202 with its activity; who may and the plan's limit are checked as in the console. */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string }> }) {
  const { projectId, environmentName } = await params;
  return changeResponse(request, projectId, environmentName, createSchema, async (r, body) => (await requestSnapshot(r.db, r.user, projectId, r.env.name, body)).activity);
}
