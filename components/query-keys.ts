/**
 * Every TanStack Query key, from one factory per resource, so a change invalidates exactly
 * what shows it. Plain module (no "use client"): server layouts seed the cache with these too.
 */
export const queryKeys = {
  projects: () => ["projects"] as const,
  /** A project's overview; `environment` is the page's own environment (null on the project page). Without it: all of the project's. */
  overview: (projectId: string, environment?: string | null) => (environment === undefined ? (["overview", projectId] as const) : (["overview", projectId, environment] as const)),
  /** The project's folded inactive environments (under the overview's key: every event refetches them too). */
  inactiveEnvironments: (projectId: string) => ["overview", projectId, { list: "inactive" }] as const,
  activityStream: (projectId: string, environment?: string | null, filters?: unknown) =>
    environment === undefined ? (["activity-stream", projectId] as const) : (["activity-stream", projectId, environment, filters ?? null] as const),
  hierarchy: (projectId: string, showInactive?: boolean, version?: unknown) => (showInactive === undefined ? (["hierarchy", projectId] as const) : (["hierarchy", projectId, showInactive, version ?? null] as const)),
  snapshots: (projectId: string, environment?: string) => (environment === undefined ? (["snapshots", projectId] as const) : (["snapshots", projectId, environment] as const)),
};
