/**
 * The variables domain's kinds of activity. Pure. Saving an environment's variable redeploys
 * that environment (only it: children are not redeployed); saving a project variable is recorded
 * and redeploys nothing (each environment then says "redeploy to apply").
 */
import { z } from "zod";
import { defineActivityKinds } from "@/lib/activities/activity-kind";

/** Only the names (several for an import): a value, even a visible one, is not kept in an activity. */
const named = z.object({ names: z.array(z.string().min(1).max(256)).min(1).max(200) }).strict();
const redeploys = { dirtyWhileRunning: true, success: "active", failure: "active" } as const;

export const variableActivityKinds = defineActivityKinds({
  "environment.variable.create": { label: "Variable added", parameters: named, status: redeploys, deploys: true },
  "environment.variable.update": { label: "Variable changed", parameters: named, status: redeploys, deploys: true },
  "environment.variable.delete": { label: "Variable deleted", parameters: named, status: redeploys, deploys: true },
  "project.variable.create": { label: "Project variable added", parameters: named, status: null, deploys: false, runs: false, level: "project" },
  "project.variable.update": { label: "Project variable changed", parameters: named, status: null, deploys: false, runs: false, level: "project" },
  "project.variable.delete": { label: "Project variable deleted", parameters: named, status: null, deploys: false, runs: false, level: "project" },
});

export type VariableActivityKinds = typeof variableActivityKinds;
