import "server-only";
import type { Db } from "@/db/client";
import type { Environment } from "@/db/schema";
import type { ProjectAccess } from "@/lib/auth/permissions";
import { CONFIG_FILES, parseProjectConfig, type ConfigError, type ProjectConfig } from "@/lib/config/parse-config";
import { latestDeployment } from "@/lib/environments/queries";
import { branchHead, readFileAt } from "@/lib/git/repository";
import { environmentUrls } from "@/lib/runtime/deploy";
import { buildEnvironmentTopology, type EnvironmentTopology } from "./environment-graph";

export interface EnvironmentTopologyView {
  topology: EnvironmentTopology | null;
  deployedCommit: string | null;
  headCommit: string | null;
  /** The branch head's configuration does not parse: shown with file, line and message. */
  headErrors: ConfigError[];
  lastDeploy: { buildMs: number; deployMs: number; buildReused: boolean } | null;
}

/** The graph of the environment's deployed configuration, compared with its branch head's. */
export async function getEnvironmentTopology(db: Db, access: ProjectAccess, env: Environment): Promise<EnvironmentTopologyView> {
  const projectId = access.project.id;
  const [deployment, head] = await Promise.all([latestDeployment(db, env.id), branchHead(projectId, env.name)]);
  let headConfig: ProjectConfig | null = null;
  let headErrors: ConfigError[] = [];
  if (head && head !== deployment?.commit) {
    const files = await Promise.all(Object.values(CONFIG_FILES).map((f) => readFileAt(projectId, head, f)));
    const parsed = parseProjectConfig({ app: files[0]!, services: files[1]!, routes: files[2]! });
    if (parsed.ok) headConfig = parsed.config;
    else headErrors = parsed.errors;
  }
  if (!deployment) return { topology: null, deployedCommit: null, headCommit: head, headErrors, lastDeploy: null };
  const config = deployment.config as unknown as ProjectConfig;
  const topology = buildEnvironmentTopology({
    config,
    headConfig,
    plan: access.project.plan,
    environmentType: env.type,
    urls: environmentUrls(config, projectId, env.name).routes.map((r) => r.url),
  });
  if (headErrors.length) topology.changed = true;
  return {
    topology,
    deployedCommit: deployment.commit,
    headCommit: head,
    headErrors,
    lastDeploy: { buildMs: deployment.buildMs, deployMs: deployment.deployMs, buildReused: deployment.buildReused },
  };
}
