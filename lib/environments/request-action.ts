import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments, type Activity } from "@/db/schema";
import { busyEnvironments, enqueueActivity, lockProject } from "@/lib/activities/queue";
import { notifyWorkers } from "@/lib/activities/wake";
import type { SessionUser } from "@/lib/auth/permissions";
import { DomainError } from "@/lib/errors";
import { branchHead, isValidBranchName } from "@/lib/git/repository";
import { requireProjectAccess } from "@/lib/auth/project-access";
import { countCommitsBetween } from "@/lib/git/repository";
import { environmentActivityKinds } from "./activity-kinds";
import { inheritedSettings } from "./settings";
import { getEnvironmentByName, listRuleEnvironmentsFor } from "./queries";
import { allowedActions, environmentNameProblem, planUsage, type EnvironmentAction } from "./rules";
import type { ActionRequest } from "./validation";

/**
 * Checks the request against the rules (recomputed here, never trusted from the
 * browser) and records the activity, in one transaction under a per-project lock, so
 * concurrent requests see each other: of 20 Activate requests for one free slot, one wins.
 */
export async function requestEnvironmentAction(db: Db, user: SessionUser, projectId: string, environmentName: string, req: ActionRequest): Promise<Activity> {
  const access = await requireProjectAccess(db, user, projectId);
  const project = access.project;
  // Git's facts before the project lock (each is a process): the lock guards the database's state.
  const git = req.action === "branch" ? await branchFacts(projectId, environmentName, req.name) : null;

  const activity = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const env = await getEnvironmentByName(tx, projectId, environmentName);
    if (!env) throw new DomainError("not_found", `There is no environment “${String(environmentName).slice(0, 40)}” in this project.`);
    const all = await listRuleEnvironmentsFor(tx, projectId, env, { inactiveChildren: req.action === "delete" });
    const busy = await busyEnvironments(tx, projectId);
    const permission = allowedActions(env, { plan: project.plan, environments: all, busy, roles: access.environmentRoles })[req.action as EnvironmentAction];
    if (!permission.allowed) throw new DomainError("forbidden", permission.reason);
    const base = { projectId, createdBy: user.id };

    switch (req.action) {
      case "branch": {
        const taken = await getEnvironmentByName(tx, projectId, req.name);
        const problem = environmentNameProblem(req.name, taken ? [taken] : []);
        if (problem) throw new DomainError("invalid", problem, { name: [problem] });
        if (git!.taken) {
          const msg = `“${req.name}” is already a git branch of this project. Choose another name.`;
          throw new DomainError("conflict", msg, { name: [msg] });
        }
        const commit = env.deployedCommit ?? git!.parentHead;
        if (!commit) throw new DomainError("conflict", `${env.title} has no commit to branch from.`);
        const [child] = await tx
          .insert(environments)
          .values({ projectId, name: req.name, title: req.title || req.name, parentId: env.id, type: req.type, status: "dirty", ...inheritedSettings(env) })
          .returning();
        const usage = planUsage(project.plan, [...all, child!]);
        const activate = usage.used <= usage.limit;
        if (!activate) await tx.update(environments).set({ status: "inactive" }).where(eq(environments.id, child!.id));
        return enqueueActivity(environmentActivityKinds, tx, {
          ...base,
          environmentId: child!.id,
          environmentName: child!.name,
          occupies: [child!.id, env.id],
          type: "environment.branch",
          // A result other than what was asked for is said in words where the activity shows.
          description: activate
            ? `Branch ${child!.name} from ${env.name}`
            : `Branch ${child!.name} from ${env.name}, created inactive: the ${project.plan === "starter" ? "Starter" : "Pro"} plan allows ${usage.limit} active ${project.plan === "pro" ? "Integration " : ""}environments`,
          parameters: {
            parent: env.name,
            commit,
            activate,
            ...(activate ? {} : { inactiveReason: `${project.plan === "starter" ? "Starter" : "Pro"} allows ${usage.limit} active ${project.plan === "pro" ? "Integration " : ""}environments (${usage.names.filter((n) => n !== child!.name).join(", ")}): the new environment was created inactive.` }),
          },
        });
      }
      case "activate":
      case "deactivate":
      case "delete":
      case "redeploy": {
        if ((req.action === "deactivate" || req.action === "delete") && req.confirmation.trim() !== env.name) {
          const msg = `Type “${env.name}” to confirm.`;
          throw new DomainError("invalid", msg, { confirmation: [msg] });
        }
        const status = req.action === "delete" ? "deleting" : "dirty";
        if (req.action !== "redeploy") await tx.update(environments).set({ status, updatedAt: new Date() }).where(eq(environments.id, env.id));
        const type = ({ activate: "environment.activate", deactivate: "environment.deactivate", delete: "environment.delete", redeploy: "environment.redeploy" } as const)[req.action];
        return enqueueActivity(environmentActivityKinds, tx, {
          ...base,
          environmentId: env.id,
          environmentName: env.name,
          occupies: [env.id],
          type,
          description: `${environmentActivityKinds[type].label} ${env.name}`,
          parameters: {},
          isProduction: env.type === "production",
        });
      }
      case "merge":
      case "sync": {
        const parent = all.find((e) => e.id === env.parentId)!;
        if (req.action === "sync" && !req.code && !req.data) {
          throw new DomainError("invalid", "Choose what to sync: code, data or both.", { code: ["Choose code, data or both."] });
        }
        // Code alone from a parent it is not behind would only redeploy: say so instead of doing it.
        if (req.action === "sync" && req.code && !req.data && (await countCommitsBetween(projectId, env.name, parent.name)) === 0) {
          const msg = `${env.name} already has every commit of ${parent.name}: there is no code to sync. Tick Data to copy ${parent.name}'s data, or use Redeploy.`;
          throw new DomainError("invalid", msg, { code: [msg] });
        }
        const common = { ...base, occupies: [env.id, parent.id] };
        if (req.action === "merge") {
          return enqueueActivity(environmentActivityKinds, tx, {
            ...common,
            environmentId: parent.id,
            environmentName: parent.name,
            type: "environment.merge",
            description: `Merge ${env.name} into ${parent.name}`,
            parameters: { source: env.name, target: parent.name },
            isProduction: parent.type === "production",
          });
        }
        return enqueueActivity(environmentActivityKinds, tx, {
          ...common,
          environmentId: env.id,
          environmentName: env.name,
          type: "environment.synchronize",
          description: `Sync ${[req.code && "code", req.data && "data"].filter(Boolean).join(" and ")} from ${parent.name} into ${env.name}`,
          parameters: { source: parent.name, code: req.code, data: req.data, rebase: req.rebase },
          isProduction: env.type === "production",
        });
      }
    }
  });
  notifyWorkers();
  return activity;
}

/** A new branch's name checked by git, whether it exists, and the parent's head (asked of git at once). */
async function branchFacts(projectId: string, parent: string, name: string): Promise<{ taken: boolean; parentHead: string | null }> {
  const problem = environmentNameProblem(name, []);
  if (problem) throw new DomainError("invalid", problem, { name: [problem] });
  const [valid, existing, parentHead] = await Promise.all([isValidBranchName(name), branchHead(projectId, name), branchHead(projectId, parent)]);
  if (!valid) {
    const msg = "git does not accept this branch name. Use lowercase letters, digits and dashes.";
    throw new DomainError("invalid", msg, { name: [msg] });
  }
  return { taken: existing !== null, parentHead };
}


