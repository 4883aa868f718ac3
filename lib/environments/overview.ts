import "server-only";
import { cronAlertsOfProject } from "@/lib/crons/cron-status";
import type { Db } from "@/db/client";
import type { Activity } from "@/db/schema";
import { busyEnvironments } from "@/lib/activities/queue";
import { canSeeEnvironmentType, type ProjectAccess } from "@/lib/auth/permissions";
import { toActivityView, type ActivityView } from "@/lib/activities/activity-view";
import { changedVariablesOf, projectVariableRows } from "@/lib/variables/variables";
import { foldedInactiveCounts, lastActivityByEnvironment, listActivities, environmentTypes, inactiveEnvironmentRows, listChildren, listShownEnvironmentsWithLatest } from "./queries";
import { environmentsWithChangedSettings } from "./settings";
import { listLastDeployFailures, type LastDeployFailure } from "./deploy-failures";
import { allowedActions, planUsage, type AllowedActions } from "./rules";

export interface EnvironmentView {
  id: string;
  name: string;
  title: string;
  type: "production" | "staging" | "development";
  status: "active" | "inactive" | "dirty" | "deleting";
  parentId: string | null;
  parentName: string | null;
  deployedCommit: string | null;
  deployedAt: string | null;
  busy: { state: "pending" | "in_progress"; description: string } | null;
  /** Computed only for the environment a page is about (null for the others). */
  actions: AllowedActions | null;
  lastActivity: { description: string; state: Activity["state"]; result: Activity["result"]; at: string } | null;
  /** Its variables differ from what its last deploy got: "Variables changed — redeploy to apply". */
  variablesChanged: boolean;
  /** Paused: the router answers 503 until Resume, a push or a redeploy. */
  paused: boolean;
  /** Its router settings (or those it inherits) differ from what its last deploy kept. */
  settingsChanged: boolean;
  /** Its last finished deploy failed and none succeeded since: "Last deploy failed — serving <commit>" (deploy-failures.ts). */
  lastDeployFailure: LastDeployFailure | null;
  /** A cron of it failed several times in a row or missed a run since it last succeeded, in a sentence (cron-status.ts); null when none. */
  cronAlert: string | null;
  /** An inactive branch made in the last hour (a push, a Branch over the plan's limit): shown unfolded, marked "new". */
  isNew: boolean;
}

/** How long a branch just made stays unfolded and marked "new" in the tree. */
export const NEW_FOR_MS = 60 * 60_000;

function isNewEnvironment(e: { status: string; parentId: string | null; createdAt: Date }, since: Date): boolean {
  return e.status === "inactive" && e.parentId !== null && e.createdAt > since;
}

export interface ProjectOverview {
  usage: { used: number; limit: number; label: string };
  /**
   * What the tree shows folded: every environment that is not inactive, the inactive ones
   * above them, those made in the last hour (`isNew`), and the page's own environment. Inactive leaves are counted in `folded`
   * and loaded when the user unfolds them (a project of 1,000 branches stays light).
   */
  environments: EnvironmentView[];
  /** Inactive environments left out of `environments`, counted by parent (null: a root). */
  folded: { parentId: string | null; count: number }[];
  /** The project's (or the page environment's) latest activities: only when asked for (the API); pages show the activity stream. */
  activities?: ActivityView[];
  isBusy: boolean;
}

/**
 * Everything the project and environment pages show, for this user. Allowed actions are
 * computed for `environmentId` only: a project of 1,000 environments stays cheap.
 */
export async function getProjectOverview(db: Db, access: ProjectAccess, options: { environmentId?: string; withActivities?: boolean } = {}): Promise<ProjectOverview> {
  const projectId = access.project.id;
  const include = options.environmentId ? [options.environmentId] : [];
  const newSince = new Date(Date.now() - NEW_FOR_MS);
  // One round of queries (each answers from indexes): what a render waits for the database,
  // while crons and deploys keep it busy, is one round's wait.
  const [shown, busy, recent, foldedRows, cronAlerts, variableRows] = await Promise.all([
    listShownEnvironmentsWithLatest(db, projectId, include, { newSince }),
    busyEnvironments(db, projectId),
    options.withActivities ? listActivities(db, projectId, { environmentId: options.environmentId, limit: 30 }) : [],
    foldedInactiveCounts(db, projectId),
    cronAlertsOfProject(db, projectId),
    projectVariableRows(db, projectId),
  ]);
  const all = shown.map((s) => s.environment);
  const last = new Map(shown.flatMap((s) => (s.lastActivity ? [[s.environment.id, s.lastActivity] as const] : [])));
  const lastDigests = new Map(shown.flatMap((s) => (s.lastDeploy ? [[s.environment.id, s.lastDeploy] as const] : [])));
  // Only Delete's rule looks at children, and only for an inactive environment: an active one
  // with 1,000 children does not read them.
  const pageEnv = options.environmentId ? all.find((e) => e.id === options.environmentId) : undefined;
  const children = pageEnv?.status === "inactive" ? await listChildren(db, projectId, pageEnv.id) : [];
  const changed = changedVariablesOf(all, lastDigests, variableRows);
  const settingsChanged = environmentsWithChangedSettings(all, lastDigests);
  const deployFailures = new Map(shown.flatMap((s) => (s.lastDeployFailure ? [[s.environment.id, s.lastDeployFailure] as const] : [])));
  // The rules see the page's environment's children too (Delete counts them, inactive or not).
  const shownIds = new Set(all.map((e) => e.id));
  const ctx = { plan: access.project.plan, environments: [...all, ...children.filter((c) => !shownIds.has(c.id))], busy, roles: access.environmentRoles };
  const names = new Map(all.map((e) => [e.id, e.name]));
  // Environment types the user has no access to are left out (rules still see them all).
  const visible = all.filter((e) => canSeeEnvironmentType(access, e.type));
  const visibleIds = new Set(visible.map((e) => e.id));
  const typeById = new Map(all.map((e) => [e.id, e.type]));
  // Recent activities may be on folded (inactive) environments: their types decide who sees them.
  const unknown = [...new Set(recent.flatMap((a) => (a.environmentId && !typeById.has(a.environmentId) ? [a.environmentId] : [])))];
  for (const [id, type] of await environmentTypes(db, projectId, unknown)) typeById.set(id, type);
  const order = { in_progress: 0, pending: 1, complete: 2, cancelled: 2 } as const;
  // A project-level activity (no environment name) is seen by every member.
  const activities = recent.filter((a) => a.environmentName === null || canSeeEnvironmentType(access, (a.environmentId && typeById.get(a.environmentId)) || "development")).sort((a, b) => order[a.state] - order[b.state] || (order[a.state] === 1 ? a.createdAt.getTime() - b.createdAt.getTime() : 0));
  return {
    usage: planUsage(access.project.plan, all),
    environments: visible.map((e) => ({
      id: e.id,
      name: e.name,
      title: e.title,
      type: e.type,
      status: e.status,
      parentId: e.parentId && visibleIds.has(e.parentId) ? e.parentId : null,
      parentName: e.parentId ? (names.get(e.parentId) ?? null) : null,
      deployedCommit: e.deployedCommit,
      deployedAt: e.deployedAt?.toISOString() ?? null,
      busy: busy.get(e.id) ?? null,
      actions: e.id === options.environmentId ? allowedActions(e, ctx) : null,
      lastActivity: lastActivityView(last.get(e.id)),
      variablesChanged: changed.has(e.id),
      paused: e.pausedAt !== null && e.status === "active",
      cronAlert: cronAlerts.get(e.id) ?? null,
      settingsChanged: settingsChanged.has(e.id),
      lastDeployFailure: deployFailures.get(e.id) ?? null,
      isNew: isNewEnvironment(e, newSince),
    })),
    ...(options.withActivities ? { activities: activities.map(toActivityView) } : {}),
    isBusy: busy.size > 0,
    folded: foldedCounts(foldedRows, all, (type) => canSeeEnvironmentType(access, type)),
  };
}

function lastActivityView(a: { description: string; state: Activity["state"]; result: Activity["result"]; createdAt: Date } | undefined): EnvironmentView["lastActivity"] {
  return a ? { description: a.description, state: a.state, result: a.result, at: a.createdAt.toISOString() } : null;
}

/** The inactive environments not shown, per parent: all inactive ones less those the shown set holds. */
function foldedCounts(
  rows: readonly { parentId: string | null; type: EnvironmentView["type"]; count: number }[],
  shown: readonly { id: string; parentId: string | null; status: string; type: EnvironmentView["type"] }[],
  canSee: (type: EnvironmentView["type"]) => boolean,
): ProjectOverview["folded"] {
  const counts = new Map<string | null, number>();
  for (const r of rows) if (canSee(r.type)) counts.set(r.parentId, (counts.get(r.parentId) ?? 0) + r.count);
  for (const e of shown) if (e.status === "inactive" && canSee(e.type)) counts.set(e.parentId, (counts.get(e.parentId) ?? 0) - 1);
  return [...counts].filter(([, count]) => count > 0).map(([parentId, count]) => ({ parentId, count }));
}

/**
 * The inactive environments a folded tree counts (every inactive one the user may see, with
 * its last activity), for the tree's "Show N inactive" and the hierarchy graph's groups. Reads
 * only the columns shown.
 */
export async function listInactiveEnvironments(db: Db, access: ProjectAccess): Promise<EnvironmentView[]> {
  const projectId = access.project.id;
  const [rows, busy, last] = await Promise.all([inactiveEnvironmentRows(db, projectId), busyEnvironments(db, projectId), lastActivityByEnvironment(db, projectId)]);
  const deployFailures = await listLastDeployFailures(db, projectId, rows.map((e) => e.id));
  const newSince = new Date(Date.now() - NEW_FOR_MS);
  return rows
    .filter((e) => canSeeEnvironmentType(access, e.type))
    .map(({ parentType, createdAt, ...e }) => ({
      ...e,
      // As in the overview: a parent of a type the member may not see is not linked to.
      parentId: parentType && canSeeEnvironmentType(access, parentType) ? e.parentId : null,
      status: "inactive" as const,
      deployedAt: e.deployedAt?.toISOString() ?? null,
      busy: busy.get(e.id) ?? null,
      actions: null,
      lastActivity: lastActivityView(last.get(e.id)),
      variablesChanged: false,
      paused: false,
      cronAlert: null, // only active environments' crons run
      settingsChanged: false,
      lastDeployFailure: deployFailures.get(e.id) ?? null,
      isNew: isNewEnvironment({ status: "inactive", parentId: e.parentId, createdAt }, newSince),
    }));
}
