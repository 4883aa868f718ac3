import "server-only";
import { and, eq, gt, isNotNull, isNull, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { environments, projects, type Activity, type Environment, type HttpAccessSettings, type MailRelaySettings } from "@/db/schema";
import { busyEnvironments, enqueueActivity, lockProject, recordDoneActivity } from "@/lib/activities/queue";
import { notifyProjectChange } from "@/lib/activities/notify";
import { notifyWorkers } from "@/lib/activities/wake";
import { hasRole, type SessionUser } from "@/lib/auth/permissions";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { hashPassword } from "@/lib/auth/password";
import { DomainError } from "@/lib/errors";
import { effectiveHttpAccess, MAX_LOGINS, parseAccessRules, routerDigestOf } from "@/lib/runtime/http-access";
import { mailRelayContext, storedMailRelay } from "@/lib/runtime/mail-endpoint";
import { open, seal } from "@/lib/secrets/secret-box";
import { getSecretsKey } from "@/lib/secrets/secrets-key";
import { environmentActivityKinds } from "./activity-kinds";
import { getEnvironmentByName, listEnvironments } from "./queries";

/**
 * What a child gets from its parent when it is branched: it inherits the parent's HTTP access
 * control (a later change of the parent's applies to it at its next deploy) until it is given its own.
 */
export function inheritedSettings(parent: Pick<Environment, "httpAccess">): Pick<Environment, "httpAccess" | "httpAccessInherited"> {
  return { httpAccess: parent.httpAccess, httpAccessInherited: true };
}

/** The settings as a page shows them: login names only, never their hashes. */
export interface EnvironmentSettingsView {
  httpAccess: { enabled: boolean; usernames: string[]; rules: HttpAccessSettings["rules"] };
  /** Production's relay, without its password. */
  relay: { host: string; port: number; secure: boolean; username: string | null; hasPassword: boolean } | null;
  /** The environment whose access control applies, when it is inherited (its title). */
  inheritedFrom: string | null;
  /** The parent's title, when it has one (it can inherit). */
  parentTitle: string | null;
  restrictRobots: boolean;
  outgoingEmail: boolean;
  paused: boolean;
}

export function settingsView(env: Environment, all: readonly Environment[]): EnvironmentSettingsView {
  const byId = new Map(all.map((e) => [e.id, e]));
  const effective = effectiveHttpAccess(env.id, byId);
  const relay = storedMailRelay(env);
  return {
    httpAccess: { enabled: effective.access.enabled, usernames: effective.access.logins.map((l) => l.username), rules: effective.access.rules },
    inheritedFrom: effective.from !== env.id ? (byId.get(effective.from)?.title ?? null) : null,
    relay: relay ? { host: relay.host, port: relay.port, secure: relay.secure, username: relay.username, hasPassword: relay.passwordSealed !== null } : null,
    parentTitle: env.parentId ? (byId.get(env.parentId)?.title ?? null) : null,
    restrictRobots: env.restrictRobots,
    outgoingEmail: env.outgoingEmail,
    paused: env.pausedAt !== null,
  };
}

/**
 * The active environments (ids) whose router settings differ from what their last deploy kept:
 * "Settings changed — redeploy to apply" (a parent's change reaches the children that inherit it
 * only at their next deploy).
 */
export function environmentsWithChangedSettings(all: readonly Environment[], lastDigests: ReadonlyMap<string, { router: string | null }>): Set<string> {
  const byId = new Map(all.map((e) => [e.id, e]));
  const changed = new Set<string>();
  for (const e of all) {
    const last = lastDigests.get(e.id)?.router;
    if (!last || (e.status !== "active" && e.status !== "dirty")) continue;
    if (routerDigestOf({ httpAccess: effectiveHttpAccess(e.id, byId).access, restrictRobots: e.restrictRobots }) !== last) changed.add(e.id);
  }
  return changed;
}

export const settingsInputSchema = z.object({
  enabled: z.boolean(),
  /** A login to add (or whose password to replace): both empty means none. */
  newUsername: z.string().max(100, "A username has at most 100 characters."),
  newPassword: z.string().max(200, "A password has at most 200 characters."),
  /** Usernames whose login is removed. */
  removeUsernames: z.array(z.string()).max(100),
  rules: z.string().max(64 * 1024, "Paste at most 64 KiB of rules."),
  restrictRobots: z.boolean(),
  /** Use the parent's access control (the fields are then ignored); false: this environment's own. */
  inheritAccess: z.boolean().default(false),
  /** Absent: unchanged (forms that do not show it). */
  outgoingEmail: z.boolean().optional(),
  /** Production's relay (absent: unchanged). An empty host removes it; an empty password keeps the saved one. */
  relay: z
    .object({
      host: z.string().trim().max(253).regex(/^$|^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, "A host name or IPv4 address, like smtp.example.com."),
      port: z.string().trim().regex(/^$|^\d{1,5}$/, "A port number, like 587.").transform((v) => (v ? Number(v) : 587)).pipe(z.number().min(1, "A port from 1 to 65535.").max(65535, "A port from 1 to 65535.")),
      secure: z.boolean(),
      username: z.string().max(200, "A username has at most 200 characters.").regex(/^[^\p{Cc}]*$/u, "A username has no control characters."),
      password: z.string().max(500, "A password has at most 500 characters."),
    })
    .optional(),
  /** Saving rules that let nobody into Production was confirmed. */
  confirmLockout: z.boolean().default(false),
});
export type SettingsInput = z.infer<typeof settingsInputSchema>;

function requireAdmin(access: Awaited<ReturnType<typeof requireProjectAccess>>, env: Environment, what: string) {
  if (!hasRole(access.environmentRoles[env.type], "viewer")) throw new DomainError("not_found", "This environment does not exist or you cannot see it.");
  if (!hasRole(access.environmentRoles[env.type], "admin")) throw new DomainError("forbidden", `${what} ${env.title} needs the admin role on its environment type.`);
}

/**
 * Saves an environment's HTTP access control and search-engine visibility. Checked here (never
 * trusted from the page); a change is recorded as an activity that redeploys the environment,
 * since the router applies what a deploy keeps. Returns the activity, or null when nothing changed.
 */
export async function updateEnvironmentSettings(db: Db, user: SessionUser, projectId: string, name: string, input: SettingsInput): Promise<Activity | null> {
  const access = await requireProjectAccess(db, user, projectId);
  const { rules, errors } = parseAccessRules(input.rules);
  if (errors.length > 0) throw new DomainError("invalid", "Check the address rules.", { rules: errors.slice(0, 5) });
  const username = input.newUsername.trim();
  if (username || input.newPassword) {
    if (!username) throw new DomainError("invalid", "Enter a username for the new login.", { newUsername: ["Enter a username."] });
    if (username.includes(":")) throw new DomainError("invalid", "A username cannot contain “:” (browsers send username:password).", { newUsername: ["Remove the “:”."] });
    if (/[\p{Cc}\s]/u.test(username)) throw new DomainError("invalid", "A username has no spaces or control characters.", { newUsername: ["Remove spaces and control characters."] });
    if (!input.newPassword) throw new DomainError("invalid", "Enter a password for the new login.", { newPassword: ["A login needs a password."] });
  }
  const passwordHash = input.newPassword ? await hashPassword(input.newPassword) : null;

  const activity = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const env = await getEnvironmentByName(tx, projectId, name);
    if (!env) throw new DomainError("not_found", `There is no environment “${String(name).slice(0, 40)}” in this project.`);
    requireAdmin(access, env, "Changing the settings of");
    const all = await listEnvironments(tx, projectId);
    const byId = new Map(all.map((e) => [e.id, e]));
    const before = effectiveHttpAccess(env.id, byId).access;
    const inherit = input.inheritAccess && env.parentId !== null;
    // Own settings start from what applies now (an inherited login list is kept when made one's own).
    const logins = before.logins.filter((l) => !input.removeUsernames.includes(l.username) && l.username !== username);
    if (username && passwordHash) logins.push({ username, passwordHash });
    if (logins.length > MAX_LOGINS) throw new DomainError("invalid", `At most ${MAX_LOGINS} logins: remove one first.`, { newUsername: [`At most ${MAX_LOGINS} logins.`] });
    const own: HttpAccessSettings = inherit ? env.httpAccess : { enabled: input.enabled, logins, rules };
    byId.set(env.id, { ...env, httpAccess: own, httpAccessInherited: inherit });
    const httpAccess = effectiveHttpAccess(env.id, byId).access;
    // Production with access control on and nobody let in: warn and ask first.
    if (env.type === "production" && httpAccess.enabled && httpAccess.logins.length === 0 && !httpAccess.rules.some((r) => r.action === "allow") && !input.confirmLockout) {
      const msg = "These settings let nobody into Production: there is no login and no address rule that allows. Add a login or an allow rule, or tick the confirmation to save anyway.";
      throw new DomainError("invalid", msg, { confirmLockout: [msg] });
    }
    const accessChanged = !sameAccess(httpAccess, before) || inherit !== env.httpAccessInherited;
    const robotsChanged = input.restrictRobots !== env.restrictRobots;
    const email = input.outgoingEmail ?? env.outgoingEmail;
    const storedRelay = storedMailRelay(env);
    let mailRelay = storedRelay;
    if (input.relay && env.type !== "production" && input.relay.host) throw new DomainError("invalid", "Only Production relays e-mail; other environments keep it in their Mailbox.", { relayHost: ["Only for Production."] });
    if (input.relay && env.type === "production") {
      const r = input.relay;
      mailRelay = r.host
        ? {
            host: r.host,
            port: r.port,
            secure: r.secure,
            username: r.username.trim() || null,
            passwordSealed: r.password ? seal(getSecretsKey(), r.password, mailRelayContext(env.id)) : r.username.trim() ? (storedRelay?.passwordSealed ?? null) : null,
          }
        : null;
    }
    const relayChanged = JSON.stringify(relayKey(mailRelay)) !== JSON.stringify(relayKey(storedRelay)) || Boolean(input.relay?.password);
    const emailChanged = email !== env.outgoingEmail || relayChanged;
    if (!accessChanged && !robotsChanged && !emailChanged) return null;
    await tx.update(environments).set({ httpAccess: own, httpAccessInherited: inherit, restrictRobots: input.restrictRobots, outgoingEmail: email, mailRelay, updatedAt: new Date() }).where(eq(environments.id, env.id));
    // Not only its type's pages: its children, of any type, may inherit the access settings.
    await notifyProjectChange(tx, projectId, "environment");
    // E-mail needs no redeploy: its endpoint reads the setting when a deploy's hooks start.
    const emailActivity = emailChanged
      ? await recordDoneActivity(
          environmentActivityKinds,
          tx,
          {
            projectId,
            environmentId: env.id,
            environmentName: env.name,
            type: "environment.update.smtp",
            description: email !== env.outgoingEmail ? `Turn outgoing e-mail ${email ? "on" : "off"} for ${env.name}` : `Change the e-mail relay of ${env.name}`,
            parameters: { enabled: email },
            createdBy: user.id,
          },
          (email ? `Hooks of ${env.name} can send e-mail from the next deploy on; messages are kept in its Mailbox.` : `Hooks of ${env.name} get an SMTP error when they send e-mail, from the next deploy on.`) +
            (mailRelay ? ` Kept messages are also relayed to ${mailRelay.host}:${mailRelay.port}.` : ""),
        )
      : null;
    if (!accessChanged && !robotsChanged) return emailActivity;
    const changed = [accessChanged && "HTTP access control", robotsChanged && "search-engine visibility"].filter(Boolean).join(" and ");
    const activityInput = {
      projectId,
      environmentId: env.id,
      environmentName: env.name,
      type: accessChanged ? ("environment.update.http_access" as const) : ("environment.update.restrict_robots" as const),
      description: `Change ${changed} of ${env.name}`,
      parameters: {},
      createdBy: user.id,
    };
    if (env.status === "active" || env.status === "dirty") return enqueueActivity(environmentActivityKinds, tx, { ...activityInput, occupies: [env.id], isProduction: env.type === "production" });
    return recordDoneActivity(environmentActivityKinds, tx, activityInput, `${env.name} is inactive: the router applies the new settings when it is activated.`);
  });
  if (activity?.state === "pending") notifyWorkers();
  return activity;
}

/** A relay as compared for "changed" (the sealed password differs on every save, so only whether there is one). */
const relayKey = (r: MailRelaySettings | null) => (r ? [r.host, r.port, r.secure, r.username, r.passwordSealed !== null] : null);

/** Whether two access settings say the same (jsonb does not keep key order, so fields are compared, not texts). */
function sameAccess(a: HttpAccessSettings, b: HttpAccessSettings): boolean {
  const logins = (x: HttpAccessSettings) => JSON.stringify(x.logins.map((l) => [l.username, l.passwordHash]));
  const rules = (x: HttpAccessSettings) => JSON.stringify(x.rules.map((r) => [r.address, r.action]));
  return a.enabled === b.enabled && logins(a) === logins(b) && rules(a) === rules(b);
}

/** Pauses an active environment's site (503 until Resume, a push or a redeploy), or resumes it. */
export async function requestPause(db: Db, user: SessionUser, projectId: string, name: string, pause: boolean): Promise<Activity> {
  const access = await requireProjectAccess(db, user, projectId);
  const activity = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const env = await getEnvironmentByName(tx, projectId, name);
    if (!env) throw new DomainError("not_found", `There is no environment “${String(name).slice(0, 40)}” in this project.`);
    requireAdmin(access, env, pause ? "Pausing" : "Resuming");
    if (env.status !== "active" && env.status !== "dirty") throw new DomainError("conflict", `${env.title} is ${env.status}: only an active environment can be ${pause ? "paused" : "resumed"}.`);
    if (pause && env.pausedAt) throw new DomainError("conflict", `${env.title} is already paused.`);
    if (!pause && !env.pausedAt) throw new DomainError("conflict", `${env.title} is not paused.`);
    return enqueueActivity(environmentActivityKinds, tx, {
      projectId,
      environmentId: env.id,
      environmentName: env.name,
      occupies: [env.id],
      type: pause ? "environment.pause" : "environment.resume",
      description: `${pause ? "Pause" : "Resume"} ${env.name}`,
      parameters: {},
      createdBy: user.id,
      isProduction: env.type === "production",
    });
  });
  notifyWorkers();
  return activity;
}

/**
 * Pauses what nobody deploys: active non-production environments, not paused, whose last deploy
 * is older than their project's `autoPauseDays` (0: never) and that have nothing queued or
 * running. Each pause is an activity ("not deployed for N days") like one a person asks for.
 * Run by the workers' upkeep; returns how many were paused.
 */
export async function pauseIdleEnvironments(db: Db, now = new Date()): Promise<number> {
  const candidates = await db
    .select({ env: environments, days: projects.autoPauseDays })
    .from(environments)
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .where(
      and(
        eq(environments.status, "active"),
        isNull(environments.pausedAt),
        ne(environments.type, "production"),
        gt(projects.autoPauseDays, 0),
        isNotNull(environments.deployedAt),
        sql`${environments.deployedAt} < ${now.toISOString()}::timestamptz - make_interval(days => ${projects.autoPauseDays})`,
      ),
    )
    .limit(100);
  let paused = 0;
  for (const { env, days } of candidates) {
    const done = await db.transaction(async (tx) => {
      await lockProject(tx, env.projectId);
      const current = await getEnvironmentByName(tx, env.projectId, env.name);
      if (!current || current.status !== "active" || current.pausedAt || (await busyEnvironments(tx, env.projectId)).has(env.id)) return false;
      await enqueueActivity(environmentActivityKinds, tx, {
        projectId: env.projectId,
        environmentId: env.id,
        environmentName: env.name,
        occupies: [env.id],
        type: "environment.pause",
        description: `Pause ${env.name}: not deployed for ${days} days`,
        parameters: {},
        createdBy: null,
      });
      return true;
    });
    if (done) paused++;
  }
  if (paused > 0) notifyWorkers();
  return paused;
}

/** The opened relay passwords of a project's environments (every activity of the project redacts them). */
export async function projectRelayPasswords(db: Db, projectId: string): Promise<string[]> {
  const rows = await db.select({ id: environments.id, mailRelay: environments.mailRelay }).from(environments).where(and(eq(environments.projectId, projectId), isNotNull(environments.mailRelay)));
  return rows.flatMap((row) => {
    const mailRelay = storedMailRelay(row);
    if (!mailRelay?.passwordSealed) return [];
    try {
      return [open(getSecretsKey(), mailRelay.passwordSealed, mailRelayContext(row.id))];
    } catch {
      return []; // sealed under another key: no deploy can use it either
    }
  });
}
