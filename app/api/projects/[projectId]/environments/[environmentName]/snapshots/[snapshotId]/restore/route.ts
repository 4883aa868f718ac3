import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { snapshots } from "@/db/schema";
import { DomainError } from "@/lib/errors";
import { changeResponse } from "@/lib/session/api-access";
import { requestRestore, requestRestoreInto } from "@/lib/snapshots/snapshots";

const restoreSchema = z.discriminatedUnion("target", [
  z.object({ target: z.literal("new"), name: z.string().max(200), title: z.string().max(200).optional(), parent: z.string().max(200), code: z.boolean().default(true) }).strict(),
  z.object({ target: z.literal("in-place"), confirmation: z.string().max(200) }).strict(),
]);

/**
 * Restore one of the environment's snapshots: `{"target": "new", "name": …, "parent": …, "code": true}`
 * into a new environment (nothing else is touched), or `{"target": "in-place", "confirmation": "<environment>"}`.
 * 202 with its activity; who may and whether it can are checked as in the console.
 */
export async function POST(request: Request, { params }: { params: Promise<{ projectId: string; environmentName: string; snapshotId: string }> }) {
  const { projectId, environmentName, snapshotId } = await params;
  return changeResponse(request, projectId, environmentName, restoreSchema, async (r, body) => {
    const [own] = /^[0-9a-f-]{36}$/.test(snapshotId) ? await r.db.select({ id: snapshots.id }).from(snapshots).where(and(eq(snapshots.id, snapshotId), eq(snapshots.environmentId, r.env.id))) : [];
    if (!own) throw new DomainError("not_found", "This snapshot does not exist.");
    if (body.target === "new") return (await requestRestoreInto(r.db, r.user, projectId, snapshotId, body)).activity;
    return requestRestore(r.db, r.user, projectId, snapshotId, body.confirmation);
  });
}
