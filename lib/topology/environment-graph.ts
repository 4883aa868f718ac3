/**
 * An environment's topology from its deployed configuration: router (routes), application,
 * services, and what stands in front of them for its kind (Fastly on Staging and
 * Production; on Pro Production a load balancer and three nodes each running the
 * application and the services, with a shared file system). Each `workers:` entry is a node
 * beside the application (no route reaches it; it uses the application's relationships).
 * Pure: configuration in, graph out, so the page, the table view and the tests draw the same
 * thing; what runs now is laid on it by `withRuntime`.
 */
import type { ProjectConfig } from "@/lib/config/parse-config";
import { describeNodeRuntime, type EnvironmentSite, type ProcessLine } from "@/lib/environments/site-status";
import type { ServiceLine } from "./service-state";

export type TopologyNodeKind = "fastly" | "load-balancer" | "node" | "router" | "app" | "worker" | "service" | "filesystem";

export interface TopologyNode {
  id: string;
  kind: TopologyNodeKind;
  label: string;
  /** Short facts shown on the node: type and version, disk, routes… */
  facts: string[];
  /** The node group (a Pro Production node) it is drawn inside, if any. */
  group?: string;
  /** Its configuration differs between the deployed commit and the branch head. */
  changed?: boolean;
  /** An application whose variables differ from what its last deploy got. */
  variablesChanged?: boolean;
  /** Where it came from, for the side panel. */
  source?: { file: string; key: string; value: unknown };
  /** The application's or a worker's process now: state, memory, restarts, its log (see withRuntime). */
  runtime?: ProcessLine | null;
  /** A service's instance now: running, stopped, or that it does not run here (see withServices). */
  service?: ServiceLine | null;
}

export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  /** Drawn faint and unlabelled: a worker's relationship, the application's own (which carries the label). */
  secondary?: boolean;
}

export interface EnvironmentTopology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  /** Whether the branch head's configuration differs from the deployed one. */
  changed: boolean;
}

export interface TopologyInput {
  config: ProjectConfig;
  /** The configuration at the branch head, when it parses (to mark what a redeploy would change). */
  headConfig?: ProjectConfig | null;
  plan: "starter" | "pro";
  environmentType: "production" | "staging" | "development";
  /** The routes' URLs on this machine, in routes.yaml order. */
  urls: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Pro Production runs Galera MariaDB where the configuration says mysql. */
function serviceLabel(type: string, proProduction: boolean): string {
  const [name, version] = type.split(":");
  if (proProduction && (name === "mysql" || name === "mariadb")) return `Galera MariaDB ${version}`;
  return `${name} ${version}`;
}

export function buildEnvironmentTopology(input: TopologyInput): EnvironmentTopology {
  const { config, headConfig } = input;
  const proProduction = input.plan === "pro" && input.environmentType === "production";
  const behindFastly = input.environmentType !== "development";
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const edge = (source: string, target: string, label?: string, secondary = false) =>
    edges.push({ id: `${source}->${target}${label ? `:${label}` : ""}`, source, target, label, ...(secondary ? { secondary } : {}) });

  const routerChanged = !!headConfig && !same(headConfig.routes, config.routes);
  const appChanged = !!headConfig && !same({ ...headConfig.app, hooks: undefined, workers: undefined }, { ...config.app, hooks: undefined, workers: undefined });
  const hooksChanged = !!headConfig && !same(headConfig.app.hooks, config.app.hooks);
  const serviceChanged = (id: string) => !!headConfig && !same(headConfig.services[id], config.services[id]);
  const workerChanged = (name: string) => !!headConfig && !same(headConfig.app.workers?.[name], config.app.workers?.[name]);

  const app = config.app;
  const appFacts = [app.type, `disk ${app.disk} MB`];
  const mounts = Object.keys(app.mounts);
  if (mounts.length) appFacts.push(`mounts ${mounts.join(", ")}`);
  const crons = Object.keys(app.crons);
  if (crons.length) appFacts.push(`crons ${crons.join(", ")}`);
  const hooks = (["build", "deploy", "post_deploy"] as const).filter((h) => app.hooks[h]);
  if (hooks.length) appFacts.push(`hooks ${hooks.join(", ")}`);

  const services = Object.entries(config.services);
  const workers = Object.entries(app.workers ?? {});
  // A worker added, removed or changed at the branch head (its node is marked when it exists here).
  const workersChanged = !!headConfig && !same(headConfig.app.workers ?? {}, app.workers ?? {});
  const relationshipsTo = new Map<string, string[]>();
  for (const [name, target] of Object.entries(app.relationships)) {
    const service = target.split(":")[0]!;
    relationshipsTo.set(service, [...(relationshipsTo.get(service) ?? []), name]);
  }

  /** One full stack (router, app, services), inside `group` for Pro Production nodes. */
  const stack = (prefix: string, group?: string) => {
    nodes.push({
      id: `${prefix}router`,
      kind: "router",
      label: "Router",
      facts: input.urls.length ? input.urls : ["no routes"],
      group,
      changed: routerChanged,
      source: { file: ".magento/routes.yaml", key: "routes", value: config.routes },
    });
    nodes.push({
      id: `${prefix}app`,
      kind: "app",
      label: app.name,
      facts: appFacts,
      group,
      changed: appChanged || hooksChanged,
      source: { file: ".magento.app.yaml", key: app.name, value: app },
    });
    const upstreams = Object.entries(config.routes).filter(([, r]) => r.type === "upstream");
    edge(`${prefix}router`, `${prefix}app`, upstreams.length === 1 ? upstreams[0]![0] : `${upstreams.length} routes`);
    for (const [name, worker] of workers) {
      nodes.push({
        id: `${prefix}worker:${name}`,
        kind: "worker",
        label: name,
        facts: [`worker of ${app.name}`, `start: ${firstLine(worker.commands.start)}`],
        group,
        changed: workerChanged(name),
        source: { file: ".magento.app.yaml", key: "workers", value: { [name]: worker } },
      });
    }
    for (const [id, service] of services) {
      nodes.push({
        id: `${prefix}service:${id}`,
        kind: "service",
        label: id,
        facts: [serviceLabel(service.type, proProduction), ...(service.disk ? [`disk ${service.disk} MB`] : [])],
        group,
        changed: serviceChanged(id),
        source: { file: ".magento/services.yaml", key: id, value: service },
      });
      const names = relationshipsTo.get(id);
      // Workers run the application's code with its relationships: the same edges.
      if (names) for (const name of names) edge(`${prefix}app`, `${prefix}service:${id}`, name);
      if (names) for (const [w] of workers) for (const name of names) edge(`${prefix}worker:${w}`, `${prefix}service:${id}`, name, true);
    }
  };

  if (behindFastly) nodes.push({ id: "fastly", kind: "fastly", label: "Fastly", facts: ["CDN and page cache"] });
  if (proProduction) {
    nodes.push({ id: "lb", kind: "load-balancer", label: "Load balancer", facts: ["3 availability zones"] });
    edge("fastly", "lb");
    nodes.push({ id: "fs", kind: "filesystem", label: "Shared file system", facts: ["GlusterFS", ...(mounts.length ? [mounts.join(", ")] : [])] });
    for (const n of [1, 2, 3]) {
      const group = `node-${n}`;
      nodes.push({ id: group, kind: "node", label: `Node ${n}`, facts: [n === 1 ? "deploy and cron logs" : "replica"] });
      stack(`${group}:`, group);
      edge("lb", `${group}:router`);
      edge(`${group}:app`, "fs", "mounts");
    }
  } else {
    stack("");
    if (behindFastly) edge("fastly", "router");
  }
  return { nodes, edges, changed: workersChanged || routerChanged || appChanged || hooksChanged || services.some(([id]) => serviceChanged(id)) || (!!headConfig && !same(Object.keys(headConfig.services), services.map(([id]) => id))) };
}

/** A command's first line, cut to 40 characters (the node shows it; the side panel has it whole). */
function firstLine(command: string): string {
  const line = command.trim().split("\n")[0] ?? "";
  return line.length > 40 || command.trim().includes("\n") ? `${line.slice(0, 40)}…` : line;
}

/**
 * The graph with what runs now laid on its application and worker nodes (every Pro node group's
 * copy alike): each process's state, memory, restarts and log, or what the whole site is
 * (paused, served as static files, not running). Pure; the graph's shape is unchanged, so its
 * layout is the deployment's.
 */
export function withRuntime(topology: EnvironmentTopology, site: EnvironmentSite): EnvironmentTopology {
  return {
    ...topology,
    nodes: topology.nodes.map((n) => {
      if (n.kind === "app") return { ...n, runtime: describeNodeRuntime(site, "web") };
      if (n.kind === "worker") return { ...n, runtime: describeNodeRuntime(site, `worker:${n.label}`) };
      return n;
    }),
  };
}

/**
 * The graph with what each service is doing now laid on its nodes (every Pro node group's copy
 * alike), by service id. Pure; the graph's shape is unchanged.
 */
export function withServices(topology: EnvironmentTopology, lines: Record<string, ServiceLine | null>): EnvironmentTopology {
  return {
    ...topology,
    nodes: topology.nodes.map((n) => (n.kind === "service" && n.source && n.source.key in lines ? { ...n, service: lines[n.source.key] ?? null } : n)),
  };
}
