import type { StreamActivity } from "@/lib/environments/activity-stream";

/** An activity as the stream lists it, for tests: a pending branch unless `overrides` say otherwise. */
export function streamActivity(overrides: Partial<StreamActivity> & { id: string }): StreamActivity {
  return {
    type: "environment.branch",
    state: "pending",
    result: null,
    description: `Branch ${overrides.id} from staging`,
    environmentName: overrides.id,
    createdAt: new Date(0).toISOString(),
    startedAt: null,
    completedAt: null,
    phase: null,
    cancelRequested: false,
    progress: null,
    createdBy: "Ada",
    waitMs: null,
    buildMs: null,
    buildReused: null,
    deployMs: null,
    ...overrides,
  };
}
