import "server-only";
import { inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { activities } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { getVisibleActivity } from "./queries";
import { getProjectAccess } from "@/lib/auth/project-access";

export interface ActivityStateView {
  id: string;
  projectId: string;
  state: string;
  result: string | null;
  description: string;
}

/** The states of the given activities, leaving out any the user may not see. */
export async function getVisibleActivityStates(db: Db, user: SessionUser, ids: string[]): Promise<ActivityStateView[]> {
  const rows = await db.select({ id: activities.id, projectId: activities.projectId }).from(activities).where(inArray(activities.id, ids));
  const out: ActivityStateView[] = [];
  const accessByProject = new Map<string, Awaited<ReturnType<typeof getProjectAccess>>>();
  for (const row of rows) {
    if (!accessByProject.has(row.projectId)) accessByProject.set(row.projectId, await getProjectAccess(db, user, row.projectId));
    const access = accessByProject.get(row.projectId);
    const activity = access ? await getVisibleActivity(db, access, row.id) : null;
    if (activity) out.push({ id: activity.id, projectId: activity.projectId, state: activity.state, result: activity.result, description: activity.description });
  }
  return out;
}
