import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { env, resetEnvForTests } from "./env";

afterEach(() => {
  vi.unstubAllEnvs();
  resetEnvForTests();
});

describe("env", () => {
  it("defaults to the embedded database in ./.data on port 3000 with the demo", () => {
    vi.stubEnv("DATABASE_URL", "");
    vi.stubEnv("DATA_DIR", "");
    vi.stubEnv("PORT", "");
    vi.stubEnv("SEED_DEMO", "");
    resetEnvForTests();
    const e = env();
    expect(e.DATABASE_URL).toBeUndefined();
    expect(e.dataDir).toBe(path.resolve(".data"));
    expect(e.PORT).toBe(3000);
    expect(e.SEED_DEMO).toBe(true);
  });
  it("reads SEED_DEMO=0 as no demo and lower-cases ADMIN_EMAIL", () => {
    vi.stubEnv("SEED_DEMO", "0");
    vi.stubEnv("ADMIN_EMAIL", "Root@Example.com");
    resetEnvForTests();
    expect(env().SEED_DEMO).toBe(false);
    expect(env().ADMIN_EMAIL).toBe("root@example.com");
  });
  it("names the variable that is wrong", () => {
    vi.stubEnv("DATABASE_URL", "mysql://nope");
    resetEnvForTests();
    expect(() => env()).toThrow(/DATABASE_URL must start with postgres/);
  });
  it("reads HOOK_CPUS as cores (1 by default, decimals allowed) and says what is wrong with it", () => {
    vi.stubEnv("HOOK_CPUS", "");
    resetEnvForTests();
    expect(env().HOOK_CPUS).toBe(1);
    vi.stubEnv("HOOK_CPUS", "0.5");
    resetEnvForTests();
    expect(env().HOOK_CPUS).toBe(0.5);
    vi.stubEnv("HOOK_CPUS", "two");
    resetEnvForTests();
    expect(() => env()).toThrow(/HOOK_CPUS: HOOK_CPUS must be a number of cores, like 1, 0\.5 or 2/);
    vi.stubEnv("HOOK_CPUS", "0");
    resetEnvForTests();
    expect(() => env()).toThrow(/HOOK_CPUS must be at least 0\.01 \(a hundredth of a core\)/);
  });
  it("reads PROJECT_TEMPLATE_SERVICES as the template's services: Magento's three by default, a list, or none", () => {
    vi.stubEnv("PROJECT_TEMPLATE_SERVICES", "");
    resetEnvForTests();
    expect(env().PROJECT_TEMPLATE_SERVICES).toEqual(["mysql", "redis", "opensearch"]);
    vi.stubEnv("PROJECT_TEMPLATE_SERVICES", " MySQL, redis ");
    resetEnvForTests();
    expect(env().PROJECT_TEMPLATE_SERVICES).toEqual(["mysql", "redis"]);
    vi.stubEnv("PROJECT_TEMPLATE_SERVICES", "none");
    resetEnvForTests();
    expect(env().PROJECT_TEMPLATE_SERVICES).toEqual([]);
    vi.stubEnv("PROJECT_TEMPLATE_SERVICES", "mysql,mariadb,none");
    resetEnvForTests();
    expect(() => env()).toThrow("PROJECT_TEMPLATE_SERVICES: “mariadb”, “none” are not one of mysql, redis, opensearch, rabbitmq (comma-separated), or none");
  });
  it("refuses a short AUTH_SECRET", () => {
    vi.stubEnv("AUTH_SECRET", "short");
    resetEnvForTests();
    expect(() => env()).toThrow(/AUTH_SECRET must be at least 32 characters/);
  });
});
