import "server-only";
import crypto from "node:crypto";
import { and, asc, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db, Executor } from "@/db/client";
import { deployments, environments, variables, type Variable } from "@/db/schema";
import { canManageProject, hasRole, type ProjectAccess } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { hookVariables } from "./hook-env";
import { definitionStatus, effectiveVariables, type DefinitionStatus, type EffectiveVariable, type VariableDefinition, type VariableSource } from "./resolve";
import { SecretKeyMismatch, SecretTampered, open, seal } from "./secret-box";
import { getVariablesKey } from "./variables-key";

export const MAX_VALUE_BYTES = 100 * 1024;

export const variableInputSchema = z
  .object({
    name: z
      .string()
      .min(1, "Enter a name.")
      .max(256, "A name has at most 256 characters.")
      .refine((v) => !/[\s\p{Cc}\p{Cf}]/u.test(v), "A name has no spaces, control or invisible characters, like env:COMPOSER_AUTH or ADMIN_EMAIL."),
    value: z.string().refine((v) => Buffer.byteLength(v) <= MAX_VALUE_BYTES, `A value has at most ${MAX_VALUE_BYTES / 1024} KiB.`),
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
export interface VariableView {
  id: string;
  name: string;
  value: string | null;
  isJson: boolean;
  isSensitive: boolean;
  visibleBuild: boolean;
  visibleRuntime: boolean;
  inheritable: boolean;
  enabled: boolean;
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
async function variableToChange(db: Db, access: ProjectAccess, id: string): Promise<{ current: Variable; envName: string | null }> {
  const [row] = await db
    .select({ variable: variables, envName: environments.name })
    .from(variables)
    .leftJoin(environments, eq(environments.id, variables.environmentId))
    .where(and(eq(variables.id, id), eq(variables.projectId, access.project.id)))
    .limit(1);
  if (!row) throw new DomainError("not_found", "This variable no longer exists.");
  await targetEnvironment(db, access, row.envName, true);
  return { current: row.variable, envName: row.envName };
}

function duplicate(name: string): DomainError {
  return new DomainError("conflict", `There is already a variable ${name} at this level.`, { name: [`${name} exists at this level: edit it instead.`] });
}

/** Creates a variable at the project level (environmentName null) or an environment's. */
export async function createVariable(db: Db, access: ProjectAccess, environmentName: string | null, input: VariableInput): Promise<VariableView> {
  const env = await targetEnvironment(db, access, environmentName, true);
  const id = crypto.randomUUID();
  const [row] = await db
    .insert(variables)
    .values({
      id,
      projectId: access.project.id,
      environmentId: env?.id ?? null,
      ...input,
      inheritable: env ? input.inheritable : true,
      value: input.isSensitive ? seal(getVariablesKey(), input.value, id) : input.value,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw duplicate(input.name);
  return toView(row, env?.name ?? null);
}

/**
 * Changes a variable. A sensitive one stays sensitive; an empty value for a sensitive variable
 * keeps the stored one (the form never receives it back).
 */
export async function updateVariable(db: Db, access: ProjectAccess, id: string, input: VariableInput): Promise<VariableView> {
  const { current, envName } = await variableToChange(db, access, id);
  if (current.isSensitive && !input.isSensitive) {
    throw new DomainError("invalid", "A sensitive variable stays sensitive. Delete it and create it again to change that.", { isSensitive: ["A sensitive variable cannot be made visible."] });
  }
  const keepSecret = current.isSensitive && input.value === "";
  const value = keepSecret ? current.value : input.isSensitive ? seal(getVariablesKey(), input.value, id) : input.value;
  try {
    const [row] = await db
      .update(variables)
      .set({ ...input, value, inheritable: current.environmentId ? input.inheritable : true, updatedAt: new Date() })
      .where(eq(variables.id, id))
      .returning();
    return toView(row!, envName);
  } catch (err) {
    if (String((err as { code?: string }).code) === "23505" || /unique/i.test(String(err))) throw duplicate(input.name);
    throw err;
  }
}

export async function deleteVariable(db: Db, access: ProjectAccess, id: string): Promise<void> {
  await variableToChange(db, access, id);
  await db.delete(variables).where(eq(variables.id, id));
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

/** The variables an environment's hooks get now (sensitive values opened), with their digests. */
export async function resolveEnvironmentVariables(db: Executor, projectId: string, environmentId: string): Promise<ResolvedVariables> {
  const all = await db.select({ id: environments.id, name: environments.name, parentId: environments.parentId }).from(environments).where(eq(environments.projectId, projectId));
  const byId = new Map(all.map((e) => [e.id, e]));
  const chain: string[] = [];
  const chainIds: string[] = [];
  for (let e = byId.get(environmentId); e && !chainIds.includes(e.id); e = e.parentId ? byId.get(e.parentId) : undefined) {
    chain.push(e.name);
    chainIds.push(e.id);
  }
  const rows = await db
    .select()
    .from(variables)
    .where(eq(variables.projectId, projectId))
    .then((r) => r.filter((v) => v.environmentId === null || chainIds.includes(v.environmentId)));
  const key = rows.some((r) => r.isSensitive) ? getVariablesKey() : null;
  const sensitiveValues: string[] = [];
  const definition = (r: Variable): VariableDefinition => {
    let value = r.value;
    if (r.isSensitive) {
      try {
        value = open(key!, r.value, r.id);
      } catch (err) {
        if (err instanceof SecretKeyMismatch || err instanceof SecretTampered) throw new DomainError("conflict", `Variable ${r.name}: ${err.message}`);
        throw err;
      }
      sensitiveValues.push(value);
    }
    return { name: r.name, value, isJson: r.isJson, isSensitive: r.isSensitive, visibleBuild: r.visibleBuild, visibleRuntime: r.visibleRuntime, inheritable: r.inheritable, enabled: r.enabled };
  };
  const nameOf = new Map(all.map((e) => [e.id, e.name]));
  const byEnvironment = new Map<string, VariableDefinition[]>();
  const project: VariableDefinition[] = [];
  for (const r of rows) {
    if (r.environmentId === null) project.push(definition(r));
    else byEnvironment.set(nameOf.get(r.environmentId)!, [...(byEnvironment.get(nameOf.get(r.environmentId)!) ?? []), definition(r)]);
  }
  const effective = effectiveVariables(chain, byEnvironment, project);
  const build = hookVariables(effective, "build");
  const runtime = hookVariables(effective, "runtime");
  const hash = (v: unknown) => crypto.createHash("sha256").update(JSON.stringify(v)).digest("hex");
  return { effective, build, runtime, digest: hash([build, runtime]), buildDigest: hash(build), sensitiveValues };
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
 * disabled); sensitive values hidden. Also whether the effective set differs from the last
 * deploy's ("redeploy to apply").
 */
export async function listEnvironmentVariables(db: Db, access: ProjectAccess, environmentName: string): Promise<{ rows: VariableRow[]; changed: boolean }> {
  const env = (await targetEnvironment(db, access, environmentName, false))!;
  const all = await db.select({ id: environments.id, name: environments.name, parentId: environments.parentId, type: environments.type }).from(environments).where(eq(environments.projectId, access.project.id));
  const byId = new Map(all.map((e) => [e.id, e]));
  const chain: typeof all = [];
  for (let e = byId.get(env.id); e && !chain.includes(e); e = e.parentId ? byId.get(e.parentId) : undefined) chain.push(e);
  const names = chain.map((e) => e.name);
  const rows = (await db.select().from(variables).where(eq(variables.projectId, access.project.id)).orderBy(asc(variables.name))).filter(
    (v) => v.environmentId === null || chain.some((e) => e.id === v.environmentId),
  );
  // Labels need only names and flags: sensitive values stay sealed here.
  const defs = new Map<string, VariableDefinition>();
  const byEnvironment = new Map<string, VariableDefinition[]>();
  const project: VariableDefinition[] = [];
  for (const r of rows) {
    const d: VariableDefinition = { name: r.name, value: "", isJson: r.isJson, isSensitive: r.isSensitive, visibleBuild: r.visibleBuild, visibleRuntime: r.visibleRuntime, inheritable: r.inheritable, enabled: r.enabled };
    defs.set(r.id, d);
    if (r.environmentId === null) project.push(d);
    else {
      const at = byId.get(r.environmentId)!.name;
      byEnvironment.set(at, [...(byEnvironment.get(at) ?? []), d]);
    }
  }
  const effective = effectiveVariables(names, byEnvironment, project);
  const out = rows.map((r): VariableRow => {
    const at = r.environmentId === null ? null : byId.get(r.environmentId)!;
    const source: VariableSource = at ? { level: "environment", environment: at.name } : { level: "project" };
    const canChange = at ? at.id === env.id && hasRole(access.environmentRoles[at.type], "admin") : false;
    return { ...toView(r, at?.name ?? null), definedAt: at?.name ?? "project", status: definitionStatus(defs.get(r.id)!, source, names, effective), canChange };
  });
  const [deployed] = await db.select({ digest: deployments.variablesDigest }).from(deployments).where(eq(deployments.environmentId, env.id)).orderBy(desc(deployments.createdAt)).limit(1);
  let changed = false;
  if (deployed && env.status === "active") {
    const now = await resolveEnvironmentVariables(db, access.project.id, env.id).catch(() => null);
    const empty = now && Object.keys(now.build.shell).length + Object.keys(now.runtime.shell).length === 0 && now.build.magentoCloudVariables === NO_VARIABLES && now.runtime.magentoCloudVariables === NO_VARIABLES;
    changed = now !== null && (deployed.digest ?? (empty ? now.digest : null)) !== now.digest;
  }
  return { rows: out, changed };
}

const NO_VARIABLES = Buffer.from("{}").toString("base64");
