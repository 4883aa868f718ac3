/**
 * Which actions a user may take on an environment, each with the reason when not.
 * Pure: callers load the project, its environments, the busy ones and the user's roles.
 * The UI shows these reasons; the server recomputes them when an action is requested.
 */
import type { EnvironmentRole, EnvironmentStatus, EnvironmentType, Plan } from "@/db/schema";
import { hasRole } from "@/lib/auth/permissions";

export const ENVIRONMENT_ACTIONS = ["branch", "activate", "deactivate", "delete", "merge", "sync", "redeploy", "edit"] as const;
export type EnvironmentAction = (typeof ENVIRONMENT_ACTIONS)[number];

export type Permission = { allowed: true } | { allowed: false; reason: string };
export type AllowedActions = Record<EnvironmentAction, Permission>;

export interface RuleEnvironment {
  id: string;
  name: string;
  title: string;
  parentId: string | null;
  type: EnvironmentType;
  status: EnvironmentStatus;
}

export interface BusyActivity {
  state: "pending" | "in_progress";
  description: string;
}

export interface RuleContext {
  plan: Plan;
  environments: readonly RuleEnvironment[];
  /** The first pending or running activity occupying each environment, by environment id. */
  busy: ReadonlyMap<string, BusyActivity>;
  roles: Record<EnvironmentType, EnvironmentRole>;
}

export const STARTER_ACTIVE_LIMIT = 4;
export const PRO_DEVELOPMENT_ACTIVE_LIMIT = 2;

const ROLE_PLURAL: Record<EnvironmentRole, string> = { none: "Users without access", viewer: "Viewers", contributor: "Contributors", admin: "Admins" };
const VERB: Record<EnvironmentAction, string> = {
  branch: "branch",
  activate: "activate",
  deactivate: "deactivate",
  delete: "delete",
  merge: "merge",
  sync: "sync",
  redeploy: "redeploy",
  edit: "edit",
};
/** The least role on the environment's type each action needs. */
const NEEDS: Record<EnvironmentAction, EnvironmentRole> = {
  branch: "contributor",
  redeploy: "contributor",
  activate: "admin",
  deactivate: "admin",
  delete: "admin",
  merge: "admin",
  sync: "admin",
  edit: "admin",
};

const ok: Permission = { allowed: true };
const no = (reason: string): Permission => ({ allowed: false, reason });

/** The one name users see for each environment type (the platform's words): Access, the tree, Branch. */
export function typeLabel(type: EnvironmentType): string {
  return { production: "Production", staging: "Staging", development: "Integration" }[type];
}

/**
 * A Pro project's root branch: `master`, the code-only global master above Production
 * (Starter's root is Production itself). Holds the code, never deploys; work starts on
 * Integration. Recognised by its shape (`master` at the root, of no production type), so the
 * views that do not know the plan agree with the rules.
 */
export function isGlobalMaster(env: { name: string; parentId: string | null; type: EnvironmentType }): boolean {
  return env.name === "master" && env.parentId === null && env.type === "development";
}

/** What an environment is called where its kind is shown (the tree's badge, the graph's node). */
export function kindLabel(env: { name: string; parentId: string | null; type: EnvironmentType }): string {
  return isGlobalMaster(env) ? "Global master" : typeLabel(env.type);
}

/** The one line that says what a Pro project's master is and why it does not deploy. */
export const GLOBAL_MASTER_NOTE = "Global master: holds the project's code and never deploys. Work starts on Integration; Production is deployed by merging Staging into it.";

/** The branch where work starts, which `git clone` and the Code panel default to: Pro's `integration`, Starter's `master`. */
export function startingBranch(plan: Plan): string {
  return plan === "pro" ? "integration" : "master";
}

/** Occupies a slot of the plan: active, or being changed by an activity. */
export function isLive(env: RuleEnvironment): boolean {
  return env.status === "active" || env.status === "dirty";
}

export function isRoot(env: RuleEnvironment): boolean {
  return env.name === "master";
}

/** Why an environment is busy (being deleted, or an activity pending or running on it), or null. */
export function busyReason(env: Pick<RuleEnvironment, "title" | "status">, busy: BusyActivity | undefined): string | null {
  if (env.status === "deleting") return `${env.title} is being deleted.`;
  if (!busy) return null;
  return `${env.title} has a ${busy.state === "in_progress" ? "running" : "pending"} activity: ${busy.description}.`;
}

/** How many slots of the plan are used, and by whom; what the plan allows. */
export function planUsage(plan: Plan, environments: readonly RuleEnvironment[]): { used: number; limit: number; names: string[]; label: string } {
  const counted =
    plan === "starter"
      ? environments.filter(isLive)
      : environments.filter((e) => isLive(e) && e.type === "development" && !isRoot(e));
  const limit = plan === "starter" ? STARTER_ACTIVE_LIMIT : PRO_DEVELOPMENT_ACTIVE_LIMIT;
  const names = counted.map((e) => e.name);
  const label =
    plan === "starter"
      ? `${counted.length} of ${limit} active environments`
      : `${counted.length} of ${limit} active Integration environments (plus Production and Staging)`;
  return { used: counted.length, limit, names, label };
}

function planLimitReason(plan: Plan, usage: ReturnType<typeof planUsage>, subject: RuleEnvironment): string | null {
  const counts = plan === "starter" || (subject.type === "development" && !isRoot(subject));
  if (!counts) return null;
  if (usage.used < usage.limit) return null;
  return plan === "starter"
    ? `Starter allows ${usage.limit} active environments (${usage.names.join(", ")}): deactivate one first.`
    : `Pro allows ${usage.limit} active Integration environments (${usage.names.join(", ")}): deactivate one first.`;
}

interface Derived {
  byId: Map<string, RuleEnvironment>;
  children: Map<string, RuleEnvironment[]>;
  usage: ReturnType<typeof planUsage>;
}
// Computed once per context, so a project of 1,000 environments costs O(n), not O(n²).
const derivedCache = new WeakMap<readonly RuleEnvironment[], Derived>();
function derive(ctx: RuleContext): Derived {
  let d = derivedCache.get(ctx.environments);
  if (!d) {
    const children = new Map<string, RuleEnvironment[]>();
    for (const e of ctx.environments) {
      if (!e.parentId) continue;
      const siblings = children.get(e.parentId);
      if (siblings) siblings.push(e);
      else children.set(e.parentId, [e]);
    }
    d = { byId: new Map(ctx.environments.map((e) => [e.id, e])), children, usage: planUsage(ctx.plan, ctx.environments) };
    derivedCache.set(ctx.environments, d);
  }
  return d;
}

export function allowedActions(env: RuleEnvironment, ctx: RuleContext): AllowedActions {
  const derived = derive(ctx);
  const parent = env.parentId ? derived.byId.get(env.parentId) : undefined;
  const result = {} as AllowedActions;

  for (const action of ENVIRONMENT_ACTIONS) {
    // Merge writes the parent; everything else acts on this environment's type.
    const roleType = action === "merge" && parent ? parent.type : env.type;
    const role = ctx.roles[roleType];
    if (!hasRole(role, NEEDS[action])) {
      result[action] = no(
        role === "none"
          ? `You have no access to ${typeLabel(roleType)} environments.`
          : `${ROLE_PLURAL[role]} cannot ${VERB[action]}${action === "merge" ? ` into ${typeLabel(roleType)}` : ""}: it needs the ${NEEDS[action]} role on ${typeLabel(roleType)} environments.`,
      );
      continue;
    }
    result[action] = check(action);
  }
  return result;

  /** Data follows access: copying code or data out of an environment needs at least viewer access to its type. */
  function mayCopyFrom(source: RuleEnvironment, what: string): Permission | null {
    if (hasRole(ctx.roles[source.type], "viewer")) return null;
    return no(`${what} ${source.title}, and you have no access to ${typeLabel(source.type)} environments.`);
  }

  function check(action: EnvironmentAction): Permission {
    const busy = busyReason(env, ctx.busy.get(env.id));
    // Data follows access, whatever else holds (it will not pass).
    const copy =
      action === "merge" && parent
        ? mayCopyFrom(env, "Merging copies the code of")
        : action === "sync" && parent
          ? mayCopyFrom(parent, "Sync copies the code and data of its parent")
          : action === "activate" && parent && env.status === "inactive"
            ? mayCopyFrom(parent, "Activating copies the data of its parent")
            : null;
    if (copy) return copy;
    // An active environment is "dirty" while an activity changes it: it is busy, not inactive.
    if (busy && env.status === "dirty" && action !== "edit") return no(busy);
    switch (action) {
      case "branch": {
        if (ctx.plan === "pro" && (env.type !== "development" || isRoot(env))) {
          return no(`On Pro, branch from integration or its children, not from ${env.title}.`);
        }
        if (env.status !== "active") return no(`${env.title} is not active: activate it before branching from it.`);
        return busy ? no(busy) : ok;
      }
      case "activate": {
        if (ctx.plan === "pro" && isRoot(env)) {
          return no(`${env.name} is this Pro project's code-only global master: it never deploys. Work on Integration; Production is deployed by merging Staging into it.`);
        }
        if (env.status === "active") return no(`${env.title} is already active.`);
        if (env.status !== "inactive") return busy ? no(busy) : no(`${env.title} is ${env.status}.`);
        if (busy) return no(busy);
        if (parent && ctx.plan === "pro" && isRoot(parent)) return no(`Its parent ${parent.name} is the code-only global master, which has no data to copy: move ${env.title} under Integration (Edit) first.`);
        if (parent && parent.status !== "active") return no(`Its parent ${parent.title} is not active: activate the parent first.`);
        const limit = planLimitReason(ctx.plan, derived.usage, env);
        return limit ? no(limit) : ok;
      }
      case "deactivate": {
        if (env.type === "production") return no("Production cannot be deactivated.");
        if (isRoot(env)) return no(ctx.plan === "pro" ? `${env.name} is the code-only global master: it never deploys, so there is nothing to deactivate.` : "master is the project's root branch and cannot be deactivated.");
        if (env.status === "inactive") return no(`${env.title} is already inactive.`);
        return busy ? no(busy) : env.status === "active" ? ok : no(`${env.title} is ${env.status}.`);
      }
      case "delete": {
        if (env.type === "production" || isRoot(env)) return no(`${env.title} cannot be deleted.`);
        if (env.status !== "inactive") return no("Only inactive environments can be deleted: deactivate it first.");
        if (busy) return no(busy);
        const children = derived.children.get(env.id) ?? [];
        if (children.length > 0) {
          const named = children.length > 6 ? `${children.slice(0, 5).map((c) => c.name).join(", ")} and ${children.length - 5} more` : children.map((c) => c.name).join(", ");
          return no(`It has ${children.length} child environment${children.length === 1 ? "" : "s"} (${named}): re-parent or delete ${children.length === 1 ? "it" : "them"} first.`);
        }
        return ok;
      }
      case "merge":
      case "sync": {
        if (!parent) return no(`${env.title} has no parent to ${action === "merge" ? "merge into" : "sync from"}.`);
        if (ctx.plan === "pro" && isRoot(parent)) {
          return no(
            action === "merge"
              ? `${env.title} is the top of the promotion path: ${parent.name} above it is the code-only global master, which never deploys. Merge into ${env.title} from Staging.`
              : `${env.title} is the top of the promotion path: ${parent.name} above it is the code-only global master, with no data and nothing newer to sync.`,
          );
        }
        if (env.status !== "active") return no(`${env.title} is not active.`);
        const parentBusy = busyReason(parent, ctx.busy.get(parent.id));
        if (parent.status !== "active") return no(parentBusy && parent.status === "dirty" ? parentBusy : `Its parent ${parent.title} is not active.`);
        if (busy) return no(busy);
        return parentBusy ? no(parentBusy) : ok;
      }
      case "redeploy": {
        if (ctx.plan === "pro" && isRoot(env)) return no(`${env.name} is the code-only global master: it never deploys.`);
        if (env.status !== "active") return no(`${env.title} is not active: activate it to deploy it.`);
        return busy ? no(busy) : ok;
      }
      case "edit": {
        if (env.type === "production") return no("Production's title and parent are fixed.");
        return env.status === "deleting" ? no(`${env.title} is being deleted.`) : ok;
      }
    }
  }
}

/** Environments that may become `env`'s parent: not itself, not one of its descendants. */
export function possibleParents(env: RuleEnvironment, environments: readonly RuleEnvironment[]): RuleEnvironment[] {
  const descendants = new Set<string>([env.id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const e of environments) {
      if (e.parentId && descendants.has(e.parentId) && !descendants.has(e.id)) {
        descendants.add(e.id);
        grew = true;
      }
    }
  }
  return environments.filter((e) => !descendants.has(e.id));
}

export const ENVIRONMENT_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Why a new environment name is unacceptable, or null. (git check-ref-format is checked too.) */
export function environmentNameProblem(name: string, existing: readonly { name: string }[]): string | null {
  if (name.length < 1 || name.length > 32) return "Use 1–32 characters for the name.";
  if (!ENVIRONMENT_NAME_PATTERN.test(name)) return "Use lowercase letters, digits and single dashes for the name (no spaces, dots or other characters).";
  if (existing.some((e) => e.name === name)) return `“${name}” is already a branch of this project. Choose another name.`;
  return null;
}
