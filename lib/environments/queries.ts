import "server-only";
import { and, asc, desc, eq, exists, gt, ilike, inArray, ne, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db, Executor } from "@/db/client";
import { activityCommitsSchema, parseJsonColumn } from "@/db/json-columns";
import { activities, activityEnvironments, deployments, environments, users, type Activity, type ActivityCommit, type Deployment, type Environment } from "@/db/schema";
import type { Tx } from "@/lib/activities/queue";
import { canSeeEnvironmentType, type ProjectAccess } from "@/lib/auth/permissions";
import { projectConfigSchema, type ProjectConfig } from "@/lib/config/parse-config";
import { deployFailureOf, lastFinishedDeploy, type LastDeployFailure } from "./deploy-failures";

export async function listEnvironments(db: Tx, projectId: string): Promise<Environment[]> {
  return db.select().from(environments).where(eq(environments.projectId, projectId)).orderBy(asc(environments.createdAt), asc(environments.name));
}

/** A project's environments as a chooser of them needs them (1,000 of them: five columns, not whole rows), in creation order. */
export async function listEnvironmentChoices(db: Tx, projectId: string): Promise<Pick<Environment, "id" | "name" | "title" | "parentId" | "status">[]> {
  return db
    .select({ id: environments.id, name: environments.name, title: environments.title, parentId: environments.parentId, status: environments.status })
    .from(environments)
    .where(eq(environments.projectId, projectId))
    .orderBy(asc(environments.createdAt), asc(environments.name));
}

/** `text` as a LIKE pattern that matches it anywhere, its own `%`, `_` and backslash taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The inactive environments the member may see whose name or title contains `text` (any
 * case), newest first (a branch just pushed comes first), at most `limit`, and whether there
 * are more: what a chooser searches among a project's 1,000 folded branches, four columns each.
 */
export async function findInactiveEnvironmentChoices(db: Tx, access: ProjectAccess, options: { text: string; limit: number }) {
  const types = (["production", "staging", "development"] as const).filter((t) => canSeeEnvironmentType(access, t));
  if (types.length === 0) return { environments: [], more: false };
  const pattern = containsPattern(options.text);
  const rows = await db
    .select({ id: environments.id, name: environments.name, title: environments.title, status: environments.status })
    .from(environments)
    .where(
      and(
        eq(environments.projectId, access.project.id),
        eq(environments.status, "inactive"),
        inArray(environments.type, types),
        options.text ? or(ilike(environments.name, pattern), ilike(environments.title, pattern)) : undefined,
      ),
    )
    .orderBy(desc(environments.createdAt), asc(environments.name))
    .limit(options.limit + 1);
  return { environments: rows.slice(0, options.limit), more: rows.length > options.limit };
}

/** The tree's order of environments: creation, then name. */
const TREE_ORDER = [asc(environments.createdAt), asc(environments.name)];

/** What a folded tree shows besides what is not inactive: the newest `newLimit` inactive ones created after `newSince` (branches just pushed). */
export interface ShownOptions {
  newSince?: Date;
  newLimit?: number;
}

/**
 * What a folded tree shows: every environment that is not inactive, the ones named in
 * `include`, those created after `newSince`, and all of their ancestors (an inactive parent
 * of an active branch is shown). Reads the shown rows only: inactive leaves are counted, never
 * read. At most three queries, however deep the tree.
 */
export async function listShownEnvironments(db: Tx, projectId: string, include: readonly string[] = [], options: ShownOptions = {}): Promise<Environment[]> {
  return readShown(db, projectId, include, options, (where) => db.select().from(environments).where(where).orderBy(...TREE_ORDER), (e) => e);
}

/** A shown environment (listShownEnvironmentsWithLatest) with what the overview shows of its history. */
export interface ShownEnvironment {
  environment: Environment;
  lastActivity: { description: string; state: Activity["state"]; result: Activity["result"]; createdAt: Date } | null;
  /** Its last deploy's fingerprints of its variables and router settings (null: never deployed; a field null: a deploy from before fingerprints). */
  lastDeploy: { variables: string | null; router: string | null } | null;
  /** Its last finished deploy activity failed, and none succeeded since (deploy-failures.ts); null: it did not. */
  lastDeployFailure: LastDeployFailure | null;
}

/**
 * listShownEnvironments, each with its most recent activity, its last deploy's fingerprints and
 * whether its last finished deploy failed, in the same query (an index probe each per
 * environment, however long the project's history): what the project overview shows.
 */
export async function listShownEnvironmentsWithLatest(db: Tx, projectId: string, include: readonly string[] = [], options: ShownOptions = {}): Promise<ShownEnvironment[]> {
  const last = db
    .select({ description: activities.description, state: activities.state, result: activities.result, createdAt: activities.createdAt })
    .from(activities)
    .where(eq(activities.environmentId, environments.id))
    .orderBy(desc(activities.createdAt))
    .limit(1)
    .as("last_activity");
  const deploy = db
    .select({ id: deployments.id, variables: deployments.variablesDigest, router: deployments.routerDigest })
    .from(deployments)
    .where(eq(deployments.environmentId, environments.id))
    .orderBy(desc(deployments.createdAt))
    .limit(1)
    .as("last_deploy");
  const finished = lastFinishedDeploy(db);
  const rows = await readShown(
    db,
    projectId,
    include,
    options,
    (where) =>
      db
        .select({
          environment: environments,
          lastActivity: { description: last.description, state: last.state, result: last.result, createdAt: last.createdAt },
          // The id makes a deploy from before fingerprints (both null) a deploy, not none.
          lastDeploy: { id: deploy.id, variables: deploy.variables, router: deploy.router },
          lastFinishedDeploy: { id: finished.id, result: finished.result, description: finished.description, createdAt: finished.createdAt, completedAt: finished.completedAt },
        })
        .from(environments)
        .leftJoinLateral(last, sql`true`)
        .leftJoinLateral(deploy, sql`true`)
        .leftJoinLateral(finished, sql`true`)
        .where(where)
        .orderBy(...TREE_ORDER),
    (r) => r.environment,
  );
  return rows.map((r) => ({
    environment: r.environment,
    lastActivity: r.lastActivity,
    lastDeploy: r.lastDeploy ? { variables: r.lastDeploy.variables, router: r.lastDeploy.router } : null,
    lastDeployFailure: deployFailureOf(r.environment.deployedCommit, r.lastFinishedDeploy),
  }));
}

/** The shown rows as `read` reads them (given the condition, in TREE_ORDER), the ancestors it lacks added in the same order. */
async function readShown<R>(db: Tx, projectId: string, include: readonly string[], { newSince, newLimit = 20 }: ShownOptions, read: (where: SQL | undefined) => Promise<R[]>, environmentOf: (row: R) => Environment): Promise<R[]> {
  // The newest inactive branches of the last hour, a few at most (a push of 1,000 branches keeps the tree light).
  const recent = alias(environments, "recent");
  const newest = newSince
    ? db
        .select({ id: recent.id })
        .from(recent)
        .where(and(eq(recent.projectId, projectId), eq(recent.status, "inactive"), gt(recent.createdAt, newSince)))
        .orderBy(desc(recent.createdAt), asc(recent.name))
        .limit(newLimit)
    : null;
  const shown = or(ne(environments.status, "inactive"), include.length > 0 ? inArray(environments.id, [...include]) : undefined, newest ? inArray(environments.id, newest) : undefined);
  const rows = await read(and(eq(environments.projectId, projectId), shown));
  const envs = rows.map(environmentOf);
  const have = new Set(envs.map((e) => e.id));
  const missing = parentsMissing(envs, have);
  if (missing.length > 0) {
    // Inactive ancestors (rare): walk the tree's links, read once (a chain of any depth costs
    // three queries), then read the ancestors themselves.
    const links = new Map((await db.select({ id: environments.id, parentId: environments.parentId }).from(environments).where(eq(environments.projectId, projectId))).map((l) => [l.id, l.parentId]));
    const ancestors = new Set<string>();
    for (let queue = missing; queue.length > 0; ) {
      const next: string[] = [];
      for (const id of queue) {
        if (have.has(id) || ancestors.has(id) || !links.has(id)) continue;
        ancestors.add(id);
        const parent = links.get(id);
        if (parent) next.push(parent);
      }
      queue = next;
    }
    if (ancestors.size === 0) return rows;
    rows.push(...(await read(and(eq(environments.projectId, projectId), inArray(environments.id, [...ancestors])))));
    const order = (a: Environment, b: Environment) => a.createdAt.getTime() - b.createdAt.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    rows.sort((a, b) => order(environmentOf(a), environmentOf(b)));
  }
  return rows;
}

function parentsMissing(rows: readonly Environment[], have: ReadonlySet<string>): string[] {
  return [...new Set(rows.flatMap((e) => (e.parentId && !have.has(e.parentId) ? [e.parentId] : [])))];
}

/** How many inactive environments each parent has, by type (counted in the database, not read). */
export async function foldedInactiveCounts(db: Tx, projectId: string): Promise<{ parentId: string | null; type: Environment["type"]; count: number }[]> {
  return db
    .select({ parentId: environments.parentId, type: environments.type, count: sql<number>`count(*)::int` })
    .from(environments)
    .where(and(eq(environments.projectId, projectId), eq(environments.status, "inactive")))
    .groupBy(environments.parentId, environments.type);
}

/** A project's inactive environments, the columns a list of them shows, in creation order. */
export async function inactiveEnvironmentRows(db: Tx, projectId: string) {
  const parent = alias(environments, "parent");
  return db
    .select({
      id: environments.id,
      name: environments.name,
      title: environments.title,
      type: environments.type,
      parentId: environments.parentId,
      parentName: parent.name,
      parentType: parent.type,
      deployedCommit: environments.deployedCommit,
      deployedAt: environments.deployedAt,
      createdAt: environments.createdAt,
    })
    .from(environments)
    .leftJoin(parent, eq(parent.id, environments.parentId))
    .where(and(eq(environments.projectId, projectId), eq(environments.status, "inactive")))
    .orderBy(asc(environments.createdAt), asc(environments.name));
}

/** The types of the named environments (what decides who may see their activities). */
export async function environmentTypes(db: Tx, projectId: string, ids: readonly string[]): Promise<Map<string, Environment["type"]>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: environments.id, type: environments.type }).from(environments).where(and(eq(environments.projectId, projectId), inArray(environments.id, [...ids])));
  return new Map(rows.map((r) => [r.id, r.type]));
}

/** What the rules need of an environment (RuleEnvironment): a third of a row's columns. */
const ruleColumns = { id: environments.id, name: environments.name, title: environments.title, parentId: environments.parentId, type: environments.type, status: environments.status };

/**
 * What the rules read to check a request on `env` (for checking, not for showing), in the tree's
 * order (the rules' sentences name them in it): every environment that is not inactive (the
 * plan's usage counts them), `env`, its parent and its children. Not the project's 1,000 inactive
 * branches: a request's check stays small however many there are. Only Delete's rule looks at
 * inactive children (it names them); `inactiveChildren: false` leaves them out for the others.
 */
export async function listRuleEnvironmentsFor(db: Tx, projectId: string, env: Pick<Environment, "id" | "parentId">, options: { inactiveChildren?: boolean } = {}) {
  return db
    .select(ruleColumns)
    .from(environments)
    .where(
      and(
        eq(environments.projectId, projectId),
        or(
          ne(environments.status, "inactive"),
          eq(environments.id, env.id),
          options.inactiveChildren === false ? undefined : eq(environments.parentId, env.id),
          env.parentId ? eq(environments.id, env.parentId) : undefined,
        ),
      ),
    )
    .orderBy(asc(environments.createdAt), asc(environments.name));
}

/** An environment's children, whatever their status (what the rules need of them). */
export async function listChildren(db: Tx, projectId: string, parentId: string) {
  return db
    .select(ruleColumns)
    .from(environments)
    .where(and(eq(environments.projectId, projectId), eq(environments.parentId, parentId)))
    .orderBy(asc(environments.createdAt), asc(environments.name));
}

export async function getEnvironmentByName(db: Tx, projectId: string, name: string): Promise<Environment | null> {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) return null;
  const [row] = await db.select().from(environments).where(and(eq(environments.projectId, projectId), eq(environments.name, name))).limit(1);
  return row ?? null;
}

/** A project's activities, newest first; for one environment, every activity that occupies it. */
export async function listActivities(db: Db, projectId: string, opts: { environmentId?: string; limit?: number } = {}) {
  const where = opts.environmentId
    ? and(
        eq(activities.projectId, projectId),
        or(
          eq(activities.environmentId, opts.environmentId),
          exists(
            db
              .select({ one: sql`1` })
              .from(activityEnvironments)
              .where(and(eq(activityEnvironments.activityId, activities.id), eq(activityEnvironments.environmentId, opts.environmentId))),
          ),
        ),
      )
    : eq(activities.projectId, projectId);
  return db
    .select()
    .from(activities)
    .where(where)
    .orderBy(desc(activities.createdAt), desc(activities.id))
    .limit(opts.limit ?? 50);
}

/** An activity the user may see: null when missing or on an environment type they have no access to. */
export async function getVisibleActivity(db: Db, access: ProjectAccess, activityId: string) {
  if (!/^[0-9a-f-]{36}$/.test(activityId)) return null;
  const [row] = await db
    .select({ activity: activities, type: environments.type })
    .from(activities)
    .leftJoin(environments, eq(environments.id, activities.environmentId))
    .where(and(eq(activities.projectId, access.project.id), eq(activities.id, activityId)))
    .limit(1);
  if (!row) return null;
  // A project-level activity (no environment) is seen by every member of the project.
  if (row.activity.environmentName !== null && !canSeeEnvironmentType(access, row.type ?? "development")) return null;
  return row.activity;
}

/**
 * Deployments' configs as checked, by deployment: a deployment's row is written once and never
 * changed (a deploy adds a row), and checking a config against the schema (its crons' specs
 * parsed, its routes read) cost about 1 ms of the main thread for every cron run. The most
 * recently read are kept, within CHECKED_CONFIGS and CHECKED_CONFIG_BYTES of their stored text
 * (a pushed configuration may be a few MiB: one over CHECKED_CONFIG_MAX_BYTES is checked at each
 * read instead). Each is frozen, as every caller shares it.
 */
const checkedConfigs = new Map<string, { config: ProjectConfig; bytes: number }>();
let checkedConfigBytes = 0;
const CHECKED_CONFIGS = 256;
const CHECKED_CONFIG_BYTES = 4 * 1024 * 1024;
const CHECKED_CONFIG_MAX_BYTES = 256 * 1024;

function checkedConfig(row: Deployment, bytes: number): ProjectConfig {
  const known = checkedConfigs.get(row.id);
  if (known) {
    checkedConfigs.delete(row.id);
    checkedConfigs.set(row.id, known); // the most recently read is the last to go
    return known.config;
  }
  const config = deepFreeze(parseJsonColumn(projectConfigSchema, row.config, { record: "Deployment", id: row.id, what: "a config" }));
  if (bytes > CHECKED_CONFIG_MAX_BYTES) return config;
  checkedConfigs.set(row.id, { config, bytes });
  checkedConfigBytes += bytes;
  for (const [id, kept] of checkedConfigs) {
    if (checkedConfigs.size <= CHECKED_CONFIGS && checkedConfigBytes <= CHECKED_CONFIG_BYTES) break;
    checkedConfigs.delete(id);
    checkedConfigBytes -= kept.bytes;
  }
  return config;
}

/** How many deployments' checked configs are kept, and their stored text's size (for tests). */
export function checkedConfigsKept(): { count: number; bytes: number } {
  return { count: checkedConfigs.size, bytes: checkedConfigBytes };
}

/** Freezes `value` and everything in it, with a list of its own rather than recursion, whatever a stored config's depth. */
function deepFreeze<T>(value: T): T {
  const left: unknown[] = [value];
  while (left.length > 0) {
    const v = left.pop();
    if (v && typeof v === "object" && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const inner of Object.values(v)) left.push(inner);
    }
  }
  return value;
}

/** The environment's newest deployment, its config checked against the configuration's schema (a row that does not match throws, naming the deployment). The config is shared and frozen. */
export async function latestDeployment(db: Executor, environmentId: string): Promise<(Omit<Deployment, "config"> & { config: ProjectConfig }) | null> {
  const [found] = await db
    .select({ row: deployments, bytes: sql<number>`octet_length(${deployments.config}::text)`.mapWith(Number) })
    .from(deployments)
    .where(eq(deployments.environmentId, environmentId))
    .orderBy(desc(deployments.createdAt))
    .limit(1);
  return found ? { ...found.row, config: checkedConfig(found.row, found.bytes) } : null;
}

/** Each environment's most recent activity (one row per environment). */
export async function lastActivityByEnvironment(db: Db, projectId: string) {
  const rows = await db
    .selectDistinctOn([activities.environmentId], {
      environmentId: activities.environmentId,
      description: activities.description,
      state: activities.state,
      result: activities.result,
      createdAt: activities.createdAt,
    })
    .from(activities)
    .where(eq(activities.projectId, projectId))
    .orderBy(activities.environmentId, desc(activities.createdAt));
  return new Map(rows.filter((r) => r.environmentId).map((r) => [r.environmentId!, r]));
}

/** Who started an activity and the commits it deployed, for its log page. */
export async function getActivityDetails(
  db: Db,
  activity: { id: string; createdBy: string | null; commits?: unknown; parameters?: Record<string, unknown> },
): Promise<{ createdBy: { name: string | null; email: string } | null; commits: string[]; broughtIn: ActivityCommit[] }> {
  const [user] = activity.createdBy ? await db.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, activity.createdBy)) : [];
  const deployed = await db.select({ commit: deployments.commit }).from(deployments).where(eq(deployments.activityId, activity.id)).orderBy(asc(deployments.createdAt));
  // The deployed commit(s); a push that deployed nothing still names the commit it brought.
  const after = typeof activity.parameters?.after === "string" ? [activity.parameters.after] : [];
  const commits = deployed.length > 0 ? deployed.map((d) => d.commit) : after;
  const broughtIn = activity.commits ? parseJsonColumn(activityCommitsSchema, activity.commits, { record: "Activity", id: activity.id, what: "a commit list" }) : [];
  return { createdBy: user ? { name: user.name || null, email: user.email } : null, commits: [...new Set(commits)], broughtIn };
}
