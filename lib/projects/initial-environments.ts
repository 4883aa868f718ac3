import "server-only";

import { environments, type EnvironmentStatus, type EnvironmentType, type Plan, type Project } from "@/db/schema";
import { enqueueActivity, type Tx } from "@/lib/activities/queue";
import { environmentActivityKinds } from "@/lib/environments/activity-kinds";
import type { SessionUser } from "@/lib/auth/permissions";

export interface InitialEnvironment {
  name: string;
  title: string;
  type: EnvironmentType;
  parent: string | null;
  status: EnvironmentStatus;
}

/**
 * Starter: master (Production) and an active staging branched from it. Pro: master, the
 * code-only global master (inactive: it never deploys, see rules' GLOBAL_MASTER_NOTE), then
 * production → staging → integration, all active; work starts on integration (HEAD names it).
 */
export function initialEnvironments(plan: Plan): InitialEnvironment[] {
  return plan === "starter"
    ? [
        { name: "master", title: "Production", type: "production", parent: null, status: "active" },
        { name: "staging", title: "Staging", type: "staging", parent: "master", status: "active" },
      ]
    : [
        { name: "master", title: "Master", type: "development", parent: null, status: "inactive" },
        { name: "production", title: "Production", type: "production", parent: "master", status: "active" },
        { name: "staging", title: "Staging", type: "staging", parent: "production", status: "active" },
        { name: "integration", title: "Integration", type: "development", parent: "staging", status: "active" },
      ];
}

/** Inserts the environments and queues the first deploy of each active one. */
export async function createInitialEnvironments(tx: Tx, project: Project, creator: SessionUser, layout: InitialEnvironment[]) {
  const ids = new Map<string, string>();
  for (const e of layout) {
    const [row] = await tx
      .insert(environments)
      .values({ projectId: project.id, name: e.name, title: e.title, type: e.type, status: e.status === "active" ? "dirty" : e.status, parentId: e.parent ? ids.get(e.parent)! : null, restrictRobots: e.type !== "production", outgoingEmail: e.type === "production" })
      .returning();
    ids.set(e.name, row!.id);
    if (e.status === "active") {
      await enqueueActivity(environmentActivityKinds, tx, {
        projectId: project.id,
        environmentId: row!.id,
        environmentName: e.name,
        occupies: [row!.id],
        type: "environment.initialize",
        description: `Deploy ${e.name} for the first time`,
        parameters: {},
        createdBy: creator.id,
        isProduction: e.type === "production",
      });
    }
  }
  return ids;
}


