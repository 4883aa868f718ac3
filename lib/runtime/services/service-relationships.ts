/**
 * `MAGENTO_CLOUD_RELATIONSHIPS` as the platform shapes it, for services that run here. Pure.
 *
 * Each relationship of .magento.app.yaml (`database: "mysql:mysql"`) becomes a list of one
 * entry: `service, rel, type, scheme, host, hostname, port, username, password, path, query,
 * fragment, public, host_mapped, socket, url`. No TCP port is open on the host: for MariaDB,
 * Redis and PostgreSQL `host` is `localhost` and `port` the engine's usual one only for the
 * shape's sake (a client that ignores `socket` gets "connection refused", nothing pretends to
 * answer); RabbitMQ (AMQP clients speak TCP only) is at 127.0.0.1:5672 of the application's own
 * network namespace, where a forwarder leads to its socket (amqpForwards); `socket` is where to connect,
 * a path as the application sees it inside its sandbox (the service's socket folder bound
 * read-only at /run/services/<service id>), never a host path. For PostgreSQL, libpq's `host`
 * is that socket's folder (`dirname(socket)`). A relationship to a service that does not run
 * here (OpenSearch, Elasticsearch…) is left out, with its sentence in `omitted`. RabbitMQ's
 * socket leads to its AMQP listener through a forwarder in its own sandbox.
 */
import type { SandboxForward } from "@/lib/runtime/sandbox-forwarder";
import { DATABASE_NAME, SOCKET_NAMES, type ServiceCredentials } from "./service-config";
import { serviceKindOf, type ServiceEngineName } from "./service-engines";

/** Where an environment's application sees its services' socket folders. */
export const APP_SERVICES_DIR = "/run/services";
export const appServiceSocketDir = (serviceId: string) => `${APP_SERVICES_DIR}/${serviceId}`;

export interface RelationshipEntry {
  service: string;
  rel: string;
  type: string;
  scheme: string;
  host: string;
  hostname: string;
  port: number;
  username: string | null;
  password: string | null;
  path: string | null;
  query: Record<string, unknown>;
  fragment: null;
  public: false;
  host_mapped: false;
  /** The Unix socket to connect to, inside the application's sandbox. */
  socket: string;
  url: string;
}

/** A service as the relationships see it: its type and, when it runs here, its engine and credentials. */
export type RelationshipService = { type: string; runs: { engine: ServiceEngineName; credentials: ServiceCredentials } | { reason: string } };

const SCHEMES: Record<ServiceEngineName, { scheme: string; port: number; path: string | null; query: Record<string, unknown> }> = {
  mariadb: { scheme: "mysql", port: 3306, path: DATABASE_NAME, query: { is_master: true } },
  postgresql: { scheme: "pgsql", port: 5432, path: DATABASE_NAME, query: { is_master: true } },
  redis: { scheme: "redis", port: 6379, path: null, query: {} },
  rabbitmq: { scheme: "amqp", port: 5672, path: null, query: {} },
};

/**
 * The TCP port each RabbitMQ of the environment has inside the application's sandboxes (AMQP
 * clients speak TCP only): 5672, 5673… by service id, each leading to the service's socket
 * (sandbox-forwarder.ts). `services`: the services that run here, with their types.
 */
export function amqpForwards(services: readonly { serviceId: string; type: string }[]): (SandboxForward & { serviceId: string })[] {
  return services
    .filter((s) => {
      const kind = serviceKindOf(s.type);
      return kind.runnable && kind.engine === "rabbitmq";
    })
    .map((s) => s.serviceId)
    .sort()
    .slice(0, 100)
    .map((serviceId, i) => ({ serviceId, port: 5672 + i, socket: `${appServiceSocketDir(serviceId)}/${SOCKET_NAMES.rabbitmq}` }));
}

/** One relationship's entry (`port`: a RabbitMQ's TCP port in the application's sandbox, amqpForwards). */
export function relationshipEntry(serviceId: string, endpoint: string, type: string, engine: ServiceEngineName, credentials: ServiceCredentials, port?: number): RelationshipEntry {
  const s = SCHEMES[engine];
  const socket = `${appServiceSocketDir(serviceId)}/${SOCKET_NAMES[engine]}`;
  // RabbitMQ is reached over TCP on the sandbox's own 127.0.0.1 (a forwarder leads to its socket); the others by their sockets.
  const host = engine === "rabbitmq" ? "127.0.0.1" : "localhost";
  const tcpPort = engine === "rabbitmq" ? (port ?? s.port) : s.port;
  const auth = `${credentials.username ? encodeURIComponent(credentials.username) : ""}:${encodeURIComponent(credentials.password)}@`;
  return {
    service: serviceId,
    rel: endpoint,
    type,
    scheme: s.scheme,
    host,
    hostname: host,
    port: tcpPort,
    username: credentials.username,
    password: credentials.password,
    path: s.path,
    query: s.query,
    fragment: null,
    public: false,
    host_mapped: false,
    socket,
    url: `${s.scheme}://${auth}${host}:${tcpPort}/${s.path ?? ""}${engine === "rabbitmq" ? "" : `?socket=${encodeURIComponent(socket)}`}`,
  };
}

/** Every relationship of the application, by name; those whose service does not run here are `omitted`, each with its sentence. */
export function buildRelationships(
  relationships: Record<string, string>,
  services: Record<string, RelationshipService>,
): { relationships: Record<string, RelationshipEntry[]>; omitted: { name: string; service: string; reason: string }[] } {
  const out: Record<string, RelationshipEntry[]> = {};
  const omitted: { name: string; service: string; reason: string }[] = [];
  const ports = new Map(amqpForwards(Object.entries(services).flatMap(([serviceId, s]) => ("engine" in s.runs ? [{ serviceId, type: s.type }] : []))).map((f) => [f.serviceId, f.port]));
  for (const [name, target] of Object.entries(relationships)) {
    const [serviceId = "", endpoint = ""] = target.split(":");
    const service = services[serviceId];
    if (!service) {
      omitted.push({ name, service: serviceId, reason: `The service ${serviceId} is not defined in .magento/services.yaml.` });
      continue;
    }
    if (!("engine" in service.runs)) {
      omitted.push({ name, service: serviceId, reason: service.runs.reason });
      continue;
    }
    out[name] = [relationshipEntry(serviceId, endpoint, service.type, service.runs.engine, service.runs.credentials, ports.get(serviceId))];
  }
  return { relationships: out, omitted };
}
