/** The administrator the global setup's server is started with. */
export const ADMIN = { email: "admin@example.com", password: "admin-password-1", name: "admin" };
export const ADMIN_STATE = "e2e/.auth/admin.json";

/** A value the shared server redacts from every log (LOG_REDACT_VALUES). */
export const E2E_SECRET = "e2e-sensitive-value-7f3a";

/**
 * The shared server's settings. Its new projects' template declares only a service this console
 * shows but does not run (OpenSearch): the topology still draws a service and its relationship,
 * and no deploy starts an engine. The specs about running services use `servicesServer`
 * (support/services-server.ts), whose projects' template has all four: MariaDB, Redis and RabbitMQ run.
 */
export const SHARED_SERVER_ENV = {
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  SEED_DEMO: "1",
  LOG_REDACT_VALUES: E2E_SECRET,
  PROJECT_TEMPLATE_SERVICES: "opensearch",
};
