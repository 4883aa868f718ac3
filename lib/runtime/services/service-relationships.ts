/**
 * `MAGENTO_CLOUD_RELATIONSHIPS` as the platform shapes it, for services that run here. Pure.
 *
 * Each relationship of .magento.app.yaml (`database: "mysql:mysql"`) becomes a list of one
 * entry: `service, rel, type, scheme, host, hostname, port, username, password, path, query,
 * fragment, public, host_mapped, socket, url`. No TCP port is open anywhere: `host` is
 * `localhost` and `port` the engine's usual one only for the shape's sake (a client that ignores
 * `socket` gets "connection refused", nothing pretends to answer); `socket` is where to connect,
 * a path as the application sees it inside its sandbox (the service's socket folder bound
 * read-only at /run/services/<service id>), never a host path. For PostgreSQL, libpq's `host`
 * is that socket's folder (`dirname(socket)`). A relationship to a service that does not run
 * here (OpenSearch, Elasticsearch…) is left out, with its sentence in `omitted`. RabbitMQ's
 * socket leads to its AMQP listener through a forwarder in its own sandbox.
 */
import { DATABASE_NAME, SOCKET_NAMES, type ServiceCredentials } from "./service-config";
import type { ServiceEngineName } from "./service-engines";

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

/** One relationship's entry. */
export function relationshipEntry(serviceId: string, endpoint: string, type: string, engine: ServiceEngineName, credentials: ServiceCredentials): RelationshipEntry {
  const s = SCHEMES[engine];
  const socket = `${appServiceSocketDir(serviceId)}/${SOCKET_NAMES[engine]}`;
  const auth = `${credentials.username ? encodeURIComponent(credentials.username) : ""}:${encodeURIComponent(credentials.password)}@`;
  return {
    service: serviceId,
    rel: endpoint,
    type,
    scheme: s.scheme,
    host: "localhost",
    hostname: "localhost",
    port: s.port,
    username: credentials.username,
    password: credentials.password,
    path: s.path,
    query: s.query,
    fragment: null,
    public: false,
    host_mapped: false,
    socket,
    url: `${s.scheme}://${auth}localhost:${s.port}/${s.path ?? ""}?socket=${encodeURIComponent(socket)}`,
  };
}

/** Every relationship of the application, by name; those whose service does not run here are `omitted`, each with its sentence. */
export function buildRelationships(
  relationships: Record<string, string>,
  services: Record<string, RelationshipService>,
): { relationships: Record<string, RelationshipEntry[]>; omitted: { name: string; service: string; reason: string }[] } {
  const out: Record<string, RelationshipEntry[]> = {};
  const omitted: { name: string; service: string; reason: string }[] = [];
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
    out[name] = [relationshipEntry(serviceId, endpoint, service.type, service.runs.engine, service.runs.credentials)];
  }
  return { relationships: out, omitted };
}
