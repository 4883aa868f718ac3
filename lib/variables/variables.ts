import "server-only";
import crypto from "node:crypto";
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { selectRows, type Db, type Executor } from "@/db/client";
import { deployments, environments, variables, type Activity, type Environment, type Variable } from "@/db/schema";
import { enqueueActivity, recordDoneActivity, recordProjectActivity } from "@/lib/activities/queue";
import { notifyProjectChange } from "@/lib/activities/notify";
import { notifyWorkers } from "@/lib/activities/wake";
import { canManageProject, hasRole, type ProjectAccess } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { variableActivityKinds } from "./activity-kinds";
import { parseDotenv, valueProblem, variableNameProblem } from "./dotenv";
import { hookVariables } from "./hook-env";
import { definitionStatus, effectiveVariables, variablesStamp, type DefinitionStatus, type EffectiveVariable, type VariableDefinition, type VariableSource } from "./resolve";
import { SecretKeyMismatch, SecretTampered, open, seal } from "@/lib/secrets/secret-box";
import { getSecretsKey } from "@/lib/secrets/secrets-key";

export const variableInputSchema = z
  .object({
    name: z.string().superRefine((v, ctx) => {
      const problem = variableNameProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    value: z.string().superRefine((v, ctx) => {
      const problem = valueProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    isJson: z.boolean().default(false),
    isSensitive: z.boolean().default(false),
    visibleBuild: z.boolean().default(true),
    visibleRuntime: z.boolean().default(true),
    inheritable: z.boolean().default(true),
    enabled: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (!v.isJson) return;
    try {
      JSON.parse(v.value);
    } catch (err) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `This is not valid JSON (${(err as Error).message}). Fix it, or untick JSON.` });
    }
  });
export type VariableInput = z.infer<typeof variableInputSchema>;

/** What a page or an API answer may show of a variable: never a sensitive value. */
export interface VariableView extends Omit<VariableDefinition, "value"> {
  id: string;
  /** null for a sensitive variable. */
  value: string | null;
  /** Where it is defined: null for the project. */
  environment: string | null;
}

function toView(v: Variable, environment: string | null): VariableView {
  const { id, name, isJson, isSensitive, visibleBuild, visibleRuntime, inheritable, enabled } = v;
  return { id, name, value: isSensitive ? null : v.value, isJson, isSensitive, visibleBuild, visibleRuntime, inheritable, enabled, environment };
}

async function targetEnvironment(db: Executor, access: ProjectAccess, environmentName: string | null, write: boolean) {
  if (environmentName === null) {
    if (write && !canManageProject(access)) throw new DomainError("forbidden", "Only a project admin can change project variables.");
    return null;
  }
  const [env] = await db.select().from(environments).where(and(eq(environments.projectId, access.project.id), eq(environments.name, environmentName))).limit(1);
  if (!env || !hasRole(access.environmentRoles[env.type], "viewer")) throw new DomainError("not_found", "This environment does not exist or you cannot see it.");
  if (write && !hasRole(access.environmentRoles[env.type], "admin")) throw new DomainError("forbidden", `Changing ${env.title}'s variables needs the admin role on its environment type.`);
  return env;
}

/** A level's variables (the project's, or one environment's own), sensitive values hidden. */
export async function listVariables(db: Db, access: ProjectAccess, environmentName: string | null): Promise<VariableView[]> {
  const env = await targetEnvironment(db, access, environmentName, false);
  const rows = await db
    .select()
    .from(variables)
    .where(and(eq(variables.projectId, access.project.id), env ? eq(variables.environmentId, env.id) : isNull(variables.environmentId)))
    .orderBy(asc(variables.name));
  return rows.map((r) => toView(r, env?.name ?? null));
}

/**
 * A variable of this project the user may change, with the name of its environment (null: a
 * project variable). Another project's id, or a variable of a type they cannot see, is "no longer exists".
 */
async function variableToChange(db: Executor, access: ProjectAccess, id: string): Promise<{ current: Variable; env: Environment | null }> {
  const [row] = await db
    .select({ variable: variables, envName: environments.name })
    .from(variables)
    .leftJoin(environments, eq(environments.id, variables.environmentId))
    .where(and(eq(variables.id, id), eq(variables.projectId, access.project.id)))
    .limit(1);
  if (!row) throw new DomainError("not_found", "This variable no longer exists.");
  return { current: row.variable, env: await targetEnvironment(db, access, row.envName, true) };
}

/** What a save did: the variable as pages show it, and the activity that records it (queued when it redeploys). */
export interface VariableSaved {
  variable: VariableView;
  activityId: string;
  redeploys: boolean;
}

type Change = "create" | "update" | "delete";
const WORDS: Record<Change, [verb: string, preposition: string]> = { create: ["Add", "to"], update: ["Change", "on"], delete: ["Delete", "from"] };

/**
 * Records the change as an activity in the caller's transaction, and tells the project's open
 * pages. An environment's variable
 * redeploys that environment (queued; an inactive one has nothing to redeploy and gets it when
 * activated); a project variable redeploys nothing. Returns the activity.
 */
async function recordChange(tx: Executor, projectId: string, env: Environment | null, change: Change, names: string[], by: string | null, what = `variable ${names[0]}`): Promise<Activity> {
  const [verb, preposition] = WORDS[change];
  // The project's open pages list the variables (an environment's inherit its ancestors' and the project's).
  await notifyProjectChange(tx, projectId, "variables");
  if (!env) {
    return recordProjectActivity(
      variableActivityKinds,
      tx,
      { projectId, type: `project.variable.${change}`, description: `${verb} project ${what}`, parameters: { names }, createdBy: by },
      "Saved. No environment is redeployed: each one whose variables changed says “redeploy to apply” until it is redeployed.",
    );
  }
  const input = {
    projectId,
    environmentId: env.id,
    environmentName: env.name,
    type: `environment.variable.${change}` as const,
    description: `${verb} ${what} ${preposition} ${env.name}`,
    parameters: { names },
    createdBy: by,
  };
  if (env.status === "active" || env.status === "dirty") {
    return enqueueActivity(variableActivityKinds, tx, { ...input, occupies: [env.id], isProduction: env.type === "production" });
  }
  return recordDoneActivity(variableActivityKinds, tx, input, `${env.name} is inactive: there is nothing to redeploy. Its hooks get the variable when it is activated.`);
}

function duplicate(name: string): DomainError {
  return new DomainError("conflict", `There is already a variable ${name} at this level.`, { name: [`${name} exists at this level: edit it instead.`] });
}

/** Creates a variable at the project level (environmentName null) or an environment's. */
export async function createVariable(db: Db, access: ProjectAccess, environmentName: string | null, input: VariableInput, by: string | null = null): Promise<VariableSaved> {
  const saved = await db.transaction(async (tx) => {
  const env = await targetEnvironment(tx, access, environmentName, true);
  const id = crypto.randomUUID();
  const [row] = await tx
    .insert(variables)
    .values({
      id,
      projectId: access.project.id,
      environmentId: env?.id ?? null,
      ...input,
      inheritable: env ? input.inheritable : true,
      value: input.isSensitive ? seal(getSecretsKey(), input.value, id) : input.value,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw duplicate(input.name);
  const activity = await recordChange(tx, access.project.id, env, "create", [input.name], by);
  return { variable: toView(row, env?.name ?? null), activityId: activity.id, redeploys: activity.state === "pending" };
  });
  if (saved.redeploys) notifyWorkers();
  return saved;
}

/**
 * Changes a variable. A sensitive one stays sensitive; an empty value for a sensitive variable
 * keeps the stored one (the form never receives it back).
 */
export async function updateVariable(db: Db, access: ProjectAccess, id: string, input: VariableInput, by: string | null = null): Promise<VariableSaved> {
  const saved = await db.transaction(async (tx) => {
    const { current, env } = await variableToChange(tx, access, id);
    if (current.isSensitive && !input.isSensitive) {
      throw new DomainError("invalid", "A sensitive variable stays sensitive. Delete it and create it again to change that.", { isSensitive: ["A sensitive variable cannot be made visible."] });
    }
    const keepSecret = current.isSensitive && input.value === "";
    const value = keepSecret ? current.value : input.isSensitive ? seal(getSecretsKey(), input.value, id) : input.value;
    const [row] = await tx
      .update(variables)
      .set({ ...input, value, inheritable: current.environmentId ? input.inheritable : true, updatedAt: new Date() })
      .where(eq(variables.id, id))
      .returning()
      .catch((err: unknown) => {
        throw String((err as { code?: string }).code) === "23505" || /unique/i.test(String(err)) ? duplicate(input.name) : err;
      });
    const activity = await recordChange(tx, access.project.id, env, "update", [input.name], by);
    return { variable: toView(row!, env?.name ?? null), activityId: activity.id, redeploys: activity.state === "pending" };
  });
  if (saved.redeploys) notifyWorkers();
  return saved;
}

export async function deleteVariable(db: Db, access: ProjectAccess, id: string, by: string | null = null): Promise<Omit<VariableSaved, "variable"> & { environment: string | null }> {
  const saved = await db.transaction(async (tx) => {
    const { current, env } = await variableToChange(tx, access, id);
    await tx.delete(variables).where(eq(variables.id, id));
    const activity = await recordChange(tx, access.project.id, env, "delete", [current.name], by);
    return { activityId: activity.id, redeploys: activity.state === "pending", environment: env?.name ?? null };
  });
  if (saved.redeploys) notifyWorkers();
  return saved;
}

export interface ImportResult {
  added: string[];
  changed: string[];
  /** Already set to that value at this level: left alone. */
  unchanged: string[];
  /** The activity recording the import (null when nothing changed). */
  activityId: string | null;
  redeploys: boolean;
}

/**
 * Creates or changes several variables of one level from `.env` text, in one transaction
 * recorded as one activity (one redeploy of the environment). New ones get the default options
 * (sensitive when asked); existing ones keep theirs and get the new value (a sensitive one stays
 * sensitive). A line that cannot be read refuses the whole import, saying which and why.
 */
export async function importVariables(
  db: Db,
  access: ProjectAccess,
  environmentName: string | null,
  text: string,
  options: { shellPrefix: boolean; sensitive: boolean },
  by: string | null = null,
): Promise<ImportResult> {
  const parsed = parseDotenv(text, { shellPrefix: options.shellPrefix });
  if (parsed.errors.length > 0) {
    const shown = parsed.errors.slice(0, 5).map((e) => e.message);
    const msg = `Nothing was imported. ${shown.join(" ")}${parsed.errors.length > 5 ? ` (${parsed.errors.length - 5} more)` : ""}`;
    throw new DomainError("invalid", msg, { text: [msg] });
  }
  if (parsed.entries.length === 0) throw new DomainError("invalid", "Paste at least one KEY=value line.", { text: ["Paste at least one KEY=value line."] });
  const result = await db.transaction(async (tx) => {
    const env = await targetEnvironment(tx, access, environmentName, true);
    const existing = new Map(
      (await tx.select().from(variables).where(and(eq(variables.projectId, access.project.id), env ? eq(variables.environmentId, env.id) : isNull(variables.environmentId)))).map((v) => [v.name, v]),
    );
    const out: ImportResult = { added: [], changed: [], unchanged: [], activityId: null, redeploys: false };
    const key = options.sensitive || [...existing.values()].some((v) => v.isSensitive) ? getSecretsKey() : null;
    for (const entry of parsed.entries) {
      const current = existing.get(entry.name);
      if (!current) {
        const id = crypto.randomUUID();
        const sensitive = options.sensitive;
        await tx.insert(variables).values({ id, projectId: access.project.id, environmentId: env?.id ?? null, name: entry.name, value: sensitive ? seal(key!, entry.value, id) : entry.value, isSensitive: sensitive });
        out.added.push(entry.name);
        continue;
      }
      if (current.isJson) {
        try {
          JSON.parse(entry.value);
        } catch {
          const msg = `Nothing was imported. Line ${entry.line}: ${entry.name} is a JSON variable and this value is not valid JSON.`;
          throw new DomainError("invalid", msg, { text: [msg] });
        }
      }
      if (!current.isSensitive && current.value === entry.value) {
        out.unchanged.push(entry.name);
        continue;
      }
      await tx
        .update(variables)
        .set({ value: current.isSensitive ? seal(key!, entry.value, current.id) : entry.value, updatedAt: new Date() })
        .where(eq(variables.id, current.id));
      out.changed.push(entry.name);
    }
    const names = [...out.added, ...out.changed];
    if (names.length === 0) return out;
    const counts = [out.added.length && `${out.added.length} added`, out.changed.length && `${out.changed.length} changed`].filter(Boolean).join(", ");
    const what = names.length === 1 ? `variable ${names[0]}` : `${names.length} variables (${counts})`;
    const activity = await recordChange(tx, access.project.id, env, out.changed.length === 0 ? "create" : "update", names, by, what);
    return { ...out, activityId: activity.id, redeploys: activity.state === "pending" };
  });
  if (result.redeploys) notifyWorkers();
  return result;
}

export interface ResolvedVariables {
  effective: Map<string, EffectiveVariable>;
  build: ReturnType<typeof hookVariables>;
  runtime: ReturnType<typeof hookVariables>;
  /** Changes whenever anything a hook would see changes ("redeploy to apply"). */
  digest: string;
  /** Changes only when what the build sees changes (part of the build's reuse key). */
  buildDigest: string;
  /** Values to redact from logs. */
  sensitiveValues: string[];
}

interface EnvironmentNode {
  id: string;
  name: string;
  parentId: string | null;
}

/** The environment and its ancestors up to the root (a cycle ends the walk). */
function chainOf<E extends EnvironmentNode>(byId: ReadonlyMap<string, E>, id: string): E[] {
  const chain: E[] = [];
  for (let e = byId.get(id); e && !chain.includes(e); e = e.parentId ? byId.get(e.parentId) : undefined) chain.push(e);
  return chain;
}

/**
 * chainOf in the database: the environment and its ancestors, nearest first, without reading the
 * project's other environments (a cycle ends the walk).
 */
async function environmentChain(db: Executor, projectId: string, id: string) {
  const rows = await selectRows<{ id: string; name: string; parent_id: string | null; type: Environment["type"] }>(
    db,
    sql`with recursive chain(id, name, parent_id, type, depth, path) as (
          select id, name, parent_id, type, 0, array[id] from ${environments} where project_id = ${projectId} and id = ${id}
          union all
          select e.id, e.name, e.parent_id, e.type, c.depth + 1, c.path || e.id
          from ${environments} e join chain c on e.id = c.parent_id
          where e.project_id = ${projectId} and not e.id = any(c.path))
        select id, name, parent_id, type from chain order by depth`,
  );
  return rows.map((r) => ({ id: r.id, name: r.name, parentId: r.parent_id, type: r.type }));
}

/** The definitions as stored (a sensitive value stays sealed), by level, and each row's. */
function storedDefinitions(rows: readonly Variable[], nameOf: ReadonlyMap<string, string>) {
  const ofRow = new Map<string, VariableDefinition>();
  const rowOf = new Map<VariableDefinition, Variable>();
  const byEnvironment = new Map<string, VariableDefinition[]>();
  const project: VariableDefinition[] = [];
  for (const r of rows) {
    const d: VariableDefinition = { name: r.name, value: r.value, isJson: r.isJson, isSensitive: r.isSensitive, visibleBuild: r.visibleBuild, visibleRuntime: r.visibleRuntime, inheritable: r.inheritable, enabled: r.enabled };
    ofRow.set(r.id, d);
    rowOf.set(d, r);
    if (r.environmentId === null) project.push(d);
    else {
      const at = nameOf.get(r.environmentId);
      if (at) byEnvironment.set(at, [...(byEnvironment.get(at) ?? []), d]);
    }
  }
  return { ofRow, rowOf, byEnvironment, project };
}

const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
/** What a deploy with no variables records (and what a deploy from before variables counts as). */
const EMPTY_STAMP = variablesStamp(new Map(), sha256);

/**
 * The variables an environment's hooks get now (the effective sensitive values opened), with
 * their digests: `digest` from the stored definitions (see variablesStamp), `buildDigest` from
 * what the build sees.
 */
export async function resolveEnvironmentVariables(db: Executor, projectId: string, environmentId: string): Promise<ResolvedVariables> {
  const [all, rows] = await Promise.all([
    db.select({ id: environments.id, name: environments.name, parentId: environments.parentId }).from(environments).where(eq(environments.projectId, projectId)),
    db.select().from(variables).where(eq(variables.projectId, projectId)),
  ]);
  const byId = new Map(all.map((e) => [e.id, e]));
  const stored = storedDefinitions(rows, new Map(all.map((e) => [e.id, e.name])));
  const storedEffective = effectiveVariables(
    chainOf(byId, environmentId).map((e) => e.name),
    stored.byEnvironment,
    stored.project,
  );
  const key = [...storedEffective.values()].some((e) => e.definition.isSensitive) ? getSecretsKey() : null;
  const sensitiveValues: string[] = [];
  const effective = new Map<string, EffectiveVariable>();
  for (const [name, e] of storedEffective) {
    if (!e.definition.isSensitive) {
      effective.set(name, e);
      continue;
    }
    let value: string;
    try {
      value = open(key!, e.definition.value, stored.rowOf.get(e.definition)!.id);
    } catch (err) {
      if (err instanceof SecretKeyMismatch || err instanceof SecretTampered) throw new DomainError("conflict", `Variable ${name}: ${err.message}`);
      throw err;
    }
    sensitiveValues.push(value);
    effective.set(name, { ...e, definition: { ...e.definition, value } });
  }
  const build = hookVariables(effective, "build");
  const runtime = hookVariables(effective, "runtime");
  return { effective, build, runtime, digest: variablesStamp(storedEffective, sha256), buildDigest: sha256(JSON.stringify(build)), sensitiveValues };
}

/**
 * The environments (ids) of a project whose variables differ from what their last deploy got:
 * "Variables changed — redeploy to apply". Nothing is opened; three queries side by side.
 */
export async function environmentsWithChangedVariables(db: Executor, projectId: string): Promise<Set<string>> {
  const [all, rows, deployed] = await Promise.all([
    db.select({ id: environments.id, name: environments.name, parentId: environments.parentId, status: environments.status }).from(environments).where(eq(environments.projectId, projectId)),
    projectVariableRows(db, projectId),
    db
      .selectDistinctOn([deployments.environmentId], { environmentId: deployments.environmentId, variables: deployments.variablesDigest })
      .from(deployments)
      .innerJoin(environments, eq(environments.id, deployments.environmentId))
      .where(eq(environments.projectId, projectId))
      .orderBy(deployments.environmentId, desc(deployments.createdAt)),
  ]);
  return changedVariablesOf(all, new Map(deployed.map((d) => [d.environmentId, d])), rows);
}

/** Every variable row of a project (values sealed, as stored): what changedVariablesOf compares. */
export function projectVariableRows(db: Executor, projectId: string): Promise<Variable[]> {
  return db.select().from(variables).where(eq(variables.projectId, projectId));
}

/**
 * environmentsWithChangedVariables from what a caller already read (the project overview, in
 * its one round of queries): the environments (with their ancestors), each one's last deploy's
 * digest, and the project's variable rows.
 */
export function changedVariablesOf(
  all: readonly (EnvironmentNode & { status: Environment["status"] })[],
  lastDigests: ReadonlyMap<string, { variables: string | null }>,
  rows: readonly Variable[],
): Set<string> {
  const byId = new Map(all.map((e) => [e.id, e]));
  const stored = storedDefinitions(rows, new Map(all.map((e) => [e.id, e.name])));
  const changed = new Set<string>();
  for (const e of all) {
    const last = lastDigests.get(e.id);
    // Only what runs can be out of date: an inactive environment gets its variables when activated.
    if (last === undefined || (e.status !== "active" && e.status !== "dirty")) continue;
    const now = rows.length === 0 ? EMPTY_STAMP : variablesStamp(effectiveVariables(chainOf(byId, e.id).map((c) => c.name), stored.byEnvironment, stored.project), sha256);
    if (now !== (last.variables ?? EMPTY_STAMP)) changed.add(e.id);
  }
  return changed;
}

/** Every sensitive value of the project, opened (what every activity of the project redacts from its log). */
export async function projectSensitiveValues(db: Executor, projectId: string): Promise<string[]> {
  const rows = await db.select().from(variables).where(and(eq(variables.projectId, projectId), eq(variables.isSensitive, true)));
  if (rows.length === 0) return [];
  const key = getSecretsKey();
  return rows.flatMap((r) => {
    try {
      return [open(key, r.value, r.id)];
    } catch {
      return []; // sealed under another key: no hook can get it either
    }
  });
}

export interface VariableRow extends VariableView {
  /** Where it is defined: "project" or the environment's name. */
  definedAt: string;
  status: DefinitionStatus;
  /** Whether the signed-in user may change or delete it here. */
  canChange: boolean;
}

/**
 * What an environment's Variables panel lists: its own definitions, those of its ancestors and
 * the project's, each with its label (applies, inherited from, overridden by, inactive,
 * disabled); sensitive values hidden. (Whether they changed since the last deploy: see
 * environmentsWithChangedVariables.)
 */
export async function listEnvironmentVariables(db: Db, access: ProjectAccess, environmentName: string): Promise<VariableRow[]> {
  const env = (await targetEnvironment(db, access, environmentName, false))!;
  const [chain, rows] = await Promise.all([
    environmentChain(db, access.project.id, env.id),
    db.select().from(variables).where(eq(variables.projectId, access.project.id)).orderBy(asc(variables.name)),
  ]);
  const byId = new Map(chain.map((e) => [e.id, e]));
  const names = chain.map((e) => e.name);
  const mine = rows.filter((v) => v.environmentId === null || byId.has(v.environmentId));
  // Labels need only names and flags: sensitive values stay sealed here.
  const stored = storedDefinitions(mine, new Map(chain.map((e) => [e.id, e.name])));
  const effective = effectiveVariables(names, stored.byEnvironment, stored.project);
  const out = mine.map((r): VariableRow => {
    const at = r.environmentId === null ? null : byId.get(r.environmentId)!;
    const source: VariableSource = at ? { level: "environment", environment: at.name } : { level: "project" };
    const canChange = at ? at.id === env.id && hasRole(access.environmentRoles[at.type], "admin") : false;
    return { ...toView(r, at?.name ?? null), definedAt: at?.name ?? "project", status: definitionStatus(stored.ofRow.get(r.id)!, source, names, effective), canChange };
  });
  return out;
}
