/**
 * Every kind of activity, composed from the domains that declare them. Pure and safe for the
 * browser (labels, filters); the server's runners are composed in lib/activity-runners.ts.
 * Adding a kind: one entry in its domain's activity-kinds.ts and its runner; the compiler
 * then finds every place that must know it.
 */
import type { z } from "zod";
import type { ActivityKindSpec } from "@/lib/activities/activity-kind";
import { environmentActivityKinds } from "@/lib/environments/activity-kinds";
import { snapshotActivityKinds } from "@/lib/snapshots/activity-kinds";
import { variableActivityKinds } from "@/lib/variables/activity-kinds";

export const ACTIVITY_KINDS = { ...environmentActivityKinds, ...snapshotActivityKinds, ...variableActivityKinds };

export type ActivityType = keyof typeof ACTIVITY_KINDS;
export type ActivityParameters<T extends ActivityType> = z.output<(typeof ACTIVITY_KINDS)[T]["parameters"]>;

export const ACTIVITY_TYPES = Object.keys(ACTIVITY_KINDS) as ActivityType[];

/** Each kind and its label, in declaration order (the activity stream's type filter). */
export const ACTIVITY_TYPE_LABELS: readonly (readonly [ActivityType, string])[] = ACTIVITY_TYPES.map((type) => [type, ACTIVITY_KINDS[type].label] as const);

/** Whether kind `type` is about the project (recorded done, never run) rather than an environment. */
export function isProjectLevel(type: ActivityType): boolean {
  return (ACTIVITY_KINDS[type] as ActivityKindSpec).level === "project";
}

/** Whether kind `type` runs in a worker (false: recorded done when it happens, no runner). */
export function isRunnable(type: ActivityType): boolean {
  return (ACTIVITY_KINDS[type] as ActivityKindSpec).runs !== false;
}

/** The kinds that end with a deploy. */
export const DEPLOYING_TYPES = ACTIVITY_TYPES.filter((t) => ACTIVITY_KINDS[t].deploys);

export function isActivityType(type: string): type is ActivityType {
  return Object.hasOwn(ACTIVITY_KINDS, type);
}

/** The kind's spec, or null for a type no kind declares (a row written by another version). */
export function activityKind(type: string): ActivityKindSpec | null {
  return isActivityType(type) ? ACTIVITY_KINDS[type] : null;
}
