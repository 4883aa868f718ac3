/** The administrator the global setup's server is started with. */
export const ADMIN = { email: "admin@example.com", password: "admin-password-1", name: "admin" };
export const ADMIN_STATE = "e2e/.auth/admin.json";

/** A value the shared server redacts from every log (LOG_REDACT_VALUES). */
export const E2E_SECRET = "e2e-sensitive-value-7f3a";
