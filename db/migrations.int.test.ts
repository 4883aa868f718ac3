import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { selectRows } from "./client";
import { describeEachDatabase } from "./testing/databases";

describeEachDatabase("migrations", ({ db, database }) => {
  it("created every table", async () => {
    const rows = await selectRows<{ table_name: string }>(
      db(),
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual([
      "account_links",
      "accounts",
      "activities",
      "activity_environments",
      "activity_log_chunks",
      "api_tokens",
      "cron_runs",
      "cron_states",
      "deployments",
      "environments",
      "instance_settings",
      "mails",
      "project_members",
      "projects",
      "service_credentials",
      "sessions",
      "sign_in_attempts",
      "snapshots",
      "user_sessions",
      "variables",
      "users",
      "verification_tokens",
    ].sort());
  });

  it("applies nothing on a second run", async () => {
    const count = async () =>
      Number((await selectRows<{ n: number }>(db(), sql`select count(*)::int as n from drizzle.__drizzle_migrations`))[0]!.n);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    expect(await database().migrate()).toBe(0);
    expect(await count()).toBe(before);
  });
});
