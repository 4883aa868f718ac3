/** The administrator the global setup's server is started with. */
export const ADMIN = { email: "admin@example.com", password: "admin-password-1", name: "admin" };
export const ADMIN_STATE = "e2e/.auth/admin.json";

/** A value the shared server redacts from every log (LOG_REDACT_VALUES). */
export const E2E_SECRET = "e2e-sensitive-value-7f3a";

/**
 * The shared server's settings. Its new projects' template declares only the services this
 * console shows but does not run (OpenSearch, RabbitMQ): the topology still draws services and
 * relationships, and no deploy starts MariaDB or Redis. The specs about running services use
 * `servicesServer` (support/services-server.ts), whose projects start from the whole template.
 */
export const SHARED_SERVER_ENV = {
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  SEED_DEMO: "1",
  LOG_REDACT_VALUES: E2E_SECRET,
  PROJECT_TEMPLATE_SERVICES: "opensearch,rabbitmq",
};
