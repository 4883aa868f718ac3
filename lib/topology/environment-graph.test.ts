import { describe, expect, it } from "vitest";
import { CONFIG_FILES, parseProjectConfig, type ProjectConfig } from "@/lib/config/parse-config";
import { projectTemplate } from "@/lib/git/template";
import { buildEnvironmentTopology, withRuntime } from "./environment-graph";

function templateFiles() {
  const files = projectTemplate("Demo");
  return { app: files[CONFIG_FILES.app]!, services: files[CONFIG_FILES.services]!, routes: files[CONFIG_FILES.routes]! };
}

function templateConfig(): ProjectConfig {
  const parsed = parseProjectConfig(templateFiles());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config;
}

const urls = ["http://master.demo.localhost:3001/", "http://www.master.demo.localhost:3001/"];
const ids = (t: ReturnType<typeof buildEnvironmentTopology>) => t.nodes.map((n) => n.id);
const edge = (t: ReturnType<typeof buildEnvironmentTopology>, source: string, target: string) => t.edges.find((e) => e.source === source && e.target === target);

describe("environment topology", () => {
  it("draws the Starter template's Production: Fastly, router, app and its services by relationship", () => {
    const t = buildEnvironmentTopology({ config: templateConfig(), plan: "starter", environmentType: "production", urls });
    expect(ids(t)).toEqual(["fastly", "router", "app", "service:mysql", "service:redis", "service:opensearch"]);
    expect(edge(t, "fastly", "router")).toBeDefined();
    expect(edge(t, "router", "app")?.label).toBe("http://{default}/");
    expect(edge(t, "app", "service:mysql")?.label).toBe("database");
    expect(edge(t, "app", "service:redis")?.label).toBe("redis");
    const app = t.nodes.find((n) => n.id === "app")!;
    expect(app.label).toBe("mymagento");
    expect(app.facts).toEqual(expect.arrayContaining(["php:8.3", expect.stringMatching(/^mounts var, pub\/media/), "hooks build, deploy, post_deploy"]));
    expect(t.nodes.find((n) => n.id === "service:mysql")!.facts).toEqual(["mysql 10.6", "disk 2048 MB"]);
    expect(t.nodes.find((n) => n.id === "router")!.facts).toEqual(urls);
    expect(t.changed).toBe(false);
  });

  it("puts Staging behind Fastly and leaves Fastly out of Integration", () => {
    expect(ids(buildEnvironmentTopology({ config: templateConfig(), plan: "pro", environmentType: "staging", urls }))).toContain("fastly");
    const integration = buildEnvironmentTopology({ config: templateConfig(), plan: "starter", environmentType: "development", urls });
    expect(ids(integration)).not.toContain("fastly");
    expect(ids(integration)[0]).toBe("router");
  });

  it("draws Pro Production as Fastly, a load balancer and three full nodes with Galera and a shared file system", () => {
    const t = buildEnvironmentTopology({ config: templateConfig(), plan: "pro", environmentType: "production", urls });
    expect(ids(t).slice(0, 3)).toEqual(["fastly", "lb", "fs"]);
    expect(t.nodes.filter((n) => n.kind === "node").map((n) => n.label)).toEqual(["Node 1", "Node 2", "Node 3"]);
    for (const n of [1, 2, 3]) {
      expect(edge(t, "lb", `node-${n}:router`)).toBeDefined();
      expect(edge(t, `node-${n}:app`, "fs")?.label).toBe("mounts");
      expect(t.nodes.find((x) => x.id === `node-${n}:service:mysql`)).toMatchObject({ group: `node-${n}`, facts: ["Galera MariaDB 10.6", "disk 2048 MB"] });
    }
  });

  it("marks what a redeploy would change when the branch head's configuration differs", () => {
    const deployed = templateConfig();
    const head = templateConfig();
    head.services.mysql = { ...head.services.mysql!, disk: 4096 };
    head.services.varnish = { type: "varnish:7.1" };
    const t = buildEnvironmentTopology({ config: deployed, headConfig: head, plan: "starter", environmentType: "development", urls });
    expect(t.changed).toBe(true);
    expect(t.nodes.find((n) => n.id === "service:mysql")!.changed).toBe(true);
    expect(t.nodes.find((n) => n.id === "service:redis")!.changed).toBe(false);
    expect(ids(t)).not.toContain("service:varnish"); // drawn once it is deployed
    expect(buildEnvironmentTopology({ config: deployed, headConfig: templateConfig(), plan: "starter", environmentType: "development", urls }).changed).toBe(false);
  });

  it("draws each worker beside the application: no route reaches it, the application's relationships do", () => {
    const config = templateConfig();
    config.app.workers = { queue: { commands: { start: "php bin/magento queue:consumers:start async.operations.all --single-thread" } } };
    const t = buildEnvironmentTopology({ config, plan: "starter", environmentType: "development", urls });
    expect(ids(t)).toEqual(["router", "app", "worker:queue", "service:mysql", "service:redis", "service:opensearch"]);
    const worker = t.nodes.find((n) => n.id === "worker:queue")!;
    expect(worker).toMatchObject({ kind: "worker", label: "queue", facts: ["worker of mymagento", "start: php bin/magento queue:consumers:start as…"] });
    expect(worker.source).toMatchObject({ file: ".magento.app.yaml", key: "workers" });
    expect(t.edges.filter((e) => e.target === "worker:queue")).toEqual([]);
    // Drawn faint and unlabelled: the application's edge carries the name.
    expect(edge(t, "worker:queue", "service:mysql")).toMatchObject({ label: "database", secondary: true });
    expect(edge(t, "app", "service:mysql")!.secondary).toBeUndefined();
    expect(edge(t, "worker:queue", "service:redis")?.label).toBe("redis");
    // Pro Production: one per node.
    const pro = buildEnvironmentTopology({ config, plan: "pro", environmentType: "production", urls });
    expect(pro.nodes.filter((n) => n.kind === "worker").map((n) => [n.id, n.group])).toEqual([1, 2, 3].map((i) => [`node-${i}:worker:queue`, `node-${i}`]));
    // A worker changed at the branch head marks the worker, not the application.
    const head = structuredClone(config);
    head.app.workers = { queue: { commands: { start: "php other.php" } } };
    const changed = buildEnvironmentTopology({ config, headConfig: head, plan: "starter", environmentType: "development", urls });
    expect(changed.changed).toBe(true);
    expect(changed.nodes.find((n) => n.id === "worker:queue")!.changed).toBe(true);
    expect(changed.nodes.find((n) => n.id === "app")!.changed).toBe(false);
    // A worker only the head has changes the graph (it is drawn once deployed).
    expect(buildEnvironmentTopology({ config: templateConfig(), headConfig: config, plan: "starter", environmentType: "development", urls }).changed).toBe(true);
  });

  it("lays what runs on the application and worker nodes only, without changing the graph's shape", () => {
    const config = templateConfig();
    config.app.workers = { queue: { commands: { start: "sleep infinity" } } };
    const t = buildEnvironmentTopology({ config, plan: "starter", environmentType: "development", urls });
    const web = { name: "web", state: "crash-loop" as const, restarts: 5, rssBytes: 0, pssBytes: 0, processes: 0, startedAt: null, lastExit: null };
    const queue = { ...web, name: "worker:queue", state: "running" as const, restarts: 0, pssBytes: 3 * 1024 * 1024, processes: 2 };
    const live = withRuntime(t, { kind: "runtime", runtime: { releaseId: "r", state: "crash-loop", runs: "PHP", note: null, processes: [web, queue] } });
    expect(live.edges).toBe(t.edges);
    expect(ids(live)).toEqual(ids(t));
    expect(live.nodes.find((n) => n.id === "app")!.runtime).toMatchObject({ label: "crash loop", tone: "danger", log: "app" });
    expect(live.nodes.find((n) => n.id === "worker:queue")!.runtime).toMatchObject({ label: "running", facts: ["3.0 MiB", "no restarts"], log: "worker-queue" });
    expect(live.nodes.find((n) => n.id === "router")!.runtime).toBeUndefined();
    expect(withRuntime(t, { kind: "paused" }).nodes.filter((n) => n.runtime).map((n) => n.runtime!.label)).toEqual(["paused", "paused"]);
  });

  it("reports broken configurations with file, line and message instead of a graph", () => {
    const files = templateFiles();
    const badYaml = parseProjectConfig({ ...files, services: "mysql:\n  type: mysql:10.6\n disk: [" });
    expect(badYaml.ok).toBe(false);
    if (!badYaml.ok) expect(badYaml.errors[0]).toMatchObject({ file: ".magento/services.yaml", line: expect.any(Number) });
    const unknownType = parseProjectConfig({ ...files, services: files.services.replace("redis:7.0", "mongodb:6.0") });
    expect(unknownType.ok).toBe(false);
    if (!unknownType.ok) expect(unknownType.errors[0]!.message).toContain("unknown service type “mongodb”");
    const missing = parseProjectConfig({ ...files, app: files.app.replace("redis: \"redis:redis\"", "redis: \"cache:redis\"") });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.errors.map((e) => e.message).join(" ")).toMatch(/cache/);
  });
});
