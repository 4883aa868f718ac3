/** An activity as pages and streams show it. Pure: safe for the browser's types. */
import type { Activity } from "@/db/schema";

export interface ActivityView {
  id: string;
  type: string;
  state: Activity["state"];
  result: Activity["result"];
  description: string;
  /** null: a project-level activity. */
  environmentName: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  phase: string | null;
  cancelRequested: boolean;
  /** Percent done, for activities that report it (snapshots, restores). */
  progress: number | null;
}

/** The columns an ActivityView shows. */
export type ActivityViewColumns = Pick<Activity, "id" | "type" | "state" | "result" | "description" | "environmentName" | "createdAt" | "startedAt" | "completedAt" | "phase" | "cancelRequested" | "progress">;

export function toActivityView(a: ActivityViewColumns): ActivityView {
  return {
    id: a.id,
    type: a.type,
    state: a.state,
    result: a.result,
    description: a.description,
    environmentName: a.environmentName,
    createdAt: a.createdAt.toISOString(),
    startedAt: a.startedAt?.toISOString() ?? null,
    completedAt: a.completedAt?.toISOString() ?? null,
    phase: a.phase,
    cancelRequested: a.cancelRequested,
    progress: a.progress,
  };
}

