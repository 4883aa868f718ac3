import "server-only";
import type { ActivityRunners } from "@/lib/activities/activity-runner";
import type { VariableActivityKinds } from "./activity-kinds";
import { redeployCurrentCommit } from "./deploy-with-variables";

const apply = { run: (ctx: Parameters<typeof redeployCurrentCommit>[0]) => redeployCurrentCommit(ctx, `Redeploying ${ctx.environment.name} at its current commit so its hooks and app get the changed variables.`) };

/** An environment's variable saved: that environment is redeployed (project-level kinds never run). */
export const variableActivityRunners: ActivityRunners<VariableActivityKinds> = {
  "environment.variable.create": apply,
  "environment.variable.update": apply,
  "environment.variable.delete": apply,
};
