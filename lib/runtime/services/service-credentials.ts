import crypto from "node:crypto";
import type { ServiceEngineName } from "./service-engines";
import type { ServiceCredentials } from "./service-config";

/** The application's user name per engine, as the platform names it (Redis has none: its default user with a password; RabbitMQ's is guest, with this environment's password). */
const USERS: Record<ServiceEngineName, string | null> = { mariadb: "user", postgresql: "main", redis: null, rabbitmq: "guest" };

/**
 * New credentials for one service of one environment: 32 random characters (192 bits,
 * base64url) for the application's user and as many for the engine's administrator. The caller
 * seals them (like a sensitive variable) and gives the same ones at every start: an instance
 * applies them each time it starts, so data copied from another environment (Branch, Sync,
 * a restore) answers to this environment's credentials, never the parent's.
 */
export function generateServiceCredentials(engine: ServiceEngineName): ServiceCredentials {
  const secret = () => crypto.randomBytes(24).toString("base64url");
  return { username: USERS[engine], password: secret(), adminPassword: secret() };
}
