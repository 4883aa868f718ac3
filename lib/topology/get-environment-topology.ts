import "server-only";
import type { Db } from "@/db/client";
import { and, desc, eq, inArray } from "drizzle-orm";
import { activities, deployments, type Environment } from "@/db/schema";
import type { ProjectAccess } from "@/lib/auth/permissions";
import { DEPLOYING_TYPES } from "@/lib/activity-kinds";
import { loadProjectConfig } from "@/lib/config/load-config";
import { MAX_CONFIG_FILE_BYTES, type ConfigError, type ProjectConfig } from "@/lib/config/parse-config";
import { latestDeployment } from "@/lib/environments/queries";
import { getEnvironmentSite } from "@/lib/environments/runtime-status";
import { branchHead, readFileAt } from "@/lib/git/repository";
import { environmentUrls } from "@/lib/runtime/deploy";
import { storedHttpAccess } from "@/lib/runtime/http-access";
import { volumeSizes } from "@/lib/runtime/volumes";
import { buildEnvironmentTopology, withRuntime, withServices, type EnvironmentTopology } from "./environment-graph";
import { getServiceLines } from "./get-service-lines";
import { environmentsWithChangedVariables } from "@/lib/variables/variables";
import { sourceExcerpt, type SourceExcerpt } from "./source-excerpt";

export interface EnvironmentTopologyView {
  topology: EnvironmentTopology | null;
  deployedCommit: string | null;
  headCommit: string | null;
  /** The branch head's configuration does not parse: shown with file, line and message. */
  headErrors: ConfigError[];
  lastDeploy: { buildMs: number; deployMs: number; buildReused: boolean } | null;
  /** Bytes used on each node's disk: services by id, the application's mounts under "app". */
  used: Record<string, number>;
  /** Each node's configuration as written in its file at the deployed commit, by node id. */
  excerpts: Record<string, SourceExcerpt>;
  /** Its variables differ from what the last deploy got (the application nodes are marked). */
  variablesChanged: boolean;
}

/** The graph of the environment's deployed configuration, compared with its branch head's, with what runs now on its application and workers. */
export async function getEnvironmentTopology(db: Db, access: ProjectAccess, env: Environment): Promise<EnvironmentTopologyView> {
  const projectId = access.project.id;
  const [deployment, head, changedVariables] = await Promise.all([latestDeployment(db, env.id), branchHead(projectId, env.name), environmentsWithChangedVariables(db, projectId)]);
  const variablesChanged = changedVariables.has(env.id);
  let headConfig: ProjectConfig | null = null;
  let headErrors: ConfigError[] = [];
  if (head && head !== deployment?.commit) {
    const parsed = await loadProjectConfig(projectId, head);
    if (parsed.ok) headConfig = parsed.config;
    else headErrors = parsed.errors;
  }
  if (!deployment) return { topology: null, deployedCommit: null, headCommit: head, headErrors, lastDeploy: null, used: {}, excerpts: {}, variablesChanged: false };
  const config = deployment.config;
  const topology = withServices(
    withRuntime(
      buildEnvironmentTopology({
        config,
        headConfig,
        plan: access.project.plan,
        environmentType: env.type,
        urls: environmentUrls(config, projectId, env.name).routes.map((r) => r.url),
      }),
      getEnvironmentSite(access, env),
    ),
    // (getEnvironmentSite above has checked that the user may see the environment.)
    getServiceLines(projectId, env.name, config, env.status === "inactive" ? "inactive" : env.pausedAt ? "paused" : "active"),
  );
  if (headErrors.length) topology.changed = true;
  if (variablesChanged) for (const n of topology.nodes) if (n.kind === "app" || n.kind === "worker") n.variablesChanged = true;
  // What the router enforces for this environment (its settings page changes them).
  const guard = storedHttpAccess(env);
  const routerFacts = [
    guard.enabled ? `Access control: on (${guard.logins.length} login${guard.logins.length === 1 ? "" : "s"}, ${guard.rules.length} address rule${guard.rules.length === 1 ? "" : "s"})` : "Access control: off",
    env.restrictRobots ? "Search engines: hidden (noindex)" : "Search engines: visible",
    env.outgoingEmail ? "Outgoing e-mail: on (kept in the Mailbox)" : "Outgoing e-mail: off (refused)",
    ...(env.pausedAt ? ["Paused: the site answers 503"] : []),
  ];
  for (const n of topology.nodes) if (n.kind === "router") n.facts = [...n.facts, ...routerFacts];
  const used: Record<string, number> = {};
  for (const v of env.status === "inactive" ? [] : await volumeSizes(projectId, env.name, config)) {
    const key = v.kind === "service" ? `service:${v.name}` : "app";
    used[key] = (used[key] ?? 0) + v.bytes;
  }
  return {
    topology,
    deployedCommit: deployment.commit,
    headCommit: head,
    headErrors,
    lastDeploy: { buildMs: deployment.buildMs, deployMs: deployment.deployMs, buildReused: deployment.buildReused },
    used,
    excerpts: await nodeExcerpts(projectId, deployment.commit, topology),
    variablesChanged,
  };
}

/** The file lines behind each node, read once per file from the deployed commit (files over 1 MiB are skipped). */
async function nodeExcerpts(projectId: string, commit: string, topology: EnvironmentTopology): Promise<Record<string, SourceExcerpt>> {
  const texts = new Map<string, Promise<string | null>>();
  const read = (file: string) => {
    if (!texts.has(file)) texts.set(file, readFileAt(projectId, commit, file).catch(() => null));
    return texts.get(file)!;
  };
  const out: Record<string, SourceExcerpt> = {};
  for (const node of topology.nodes) {
    if (!node.source) continue;
    const text = await read(node.source.file);
    if (text === null || text.length > MAX_CONFIG_FILE_BYTES) continue;
    // A service is its top-level key in services.yaml, workers the `workers:` block; the application and the routes are their whole files.
    const excerpt = sourceExcerpt(node.source.file, text, node.source.file.endsWith("services.yaml") || node.kind === "worker" ? node.source.key : null);
    if (excerpt) out[node.id] = excerpt;
  }
  return out;
}

export interface DeployHistoryEntry {
  activityId: string;
  description: string;
  at: string;
  result: "success" | "failure";
  buildMs: number | null;
  deployMs: number | null;
  buildReused: boolean | null;
}


/** The environment's last 30 deploys, oldest first: durations of the successful ones, failures marked. */
export async function getDeployHistory(db: Db, env: Environment): Promise<DeployHistoryEntry[]> {
  const rows = await db
    .select({ activity: activities, buildMs: deployments.buildMs, deployMs: deployments.deployMs, buildReused: deployments.buildReused })
    .from(activities)
    .leftJoin(deployments, and(eq(deployments.activityId, activities.id), eq(deployments.environmentId, env.id)))
    .where(and(eq(activities.environmentId, env.id), eq(activities.state, "complete"), inArray(activities.type, DEPLOYING_TYPES)))
    .orderBy(desc(activities.createdAt))
    .limit(30);
  return rows.reverse().map((r) => ({
    activityId: r.activity.id,
    description: r.activity.description,
    at: (r.activity.completedAt ?? r.activity.createdAt).toISOString(),
    result: r.activity.result === "success" ? "success" : "failure",
    buildMs: r.buildMs,
    deployMs: r.deployMs,
    buildReused: r.buildReused,
  }));
}
