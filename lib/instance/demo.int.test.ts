import { expect, it } from "vitest";
import { projects } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { createFirstAdministrator } from "@/lib/users/create-user";
import { markFirstStart, seedDemoIfPending } from "./demo";

describeEachDatabase("demo project", ({ db }) => {
  it("is seeded once, for the first administrator, after the first start of an empty database", async () => {
    expect(await markFirstStart(db(), true)).toBe(true);
    expect(await markFirstStart(db(), true)).toBe(false); // a second start is not a first start
    expect(await db().select().from(projects)).toEqual([]);

    const admin = await createFirstAdministrator(db(), { name: "Ada", email: "first@example.com", password: "password-1" });
    expect(await seedDemoIfPending(db(), admin)).toBe(true); // as the first-administrator page does
    const rows = await db().select().from(projects);
    expect(rows).toMatchObject([{ id: "demo-store", title: "Demo Store", plan: "starter", createdBy: admin.id }]);
    expect(await seedDemoIfPending(db(), admin)).toBe(false);
    expect(await db().select().from(projects)).toHaveLength(1);
  });
});

describeEachDatabase("demo project with SEED_DEMO=0", ({ db }) => {
  it("is not seeded", async () => {
    await markFirstStart(db(), false);
    expect(await seedDemoIfPending(db(), await createFirstAdministrator(db(), { name: "Ada", email: "first@example.com", password: "password-1" }))).toBe(false);
    expect(await db().select().from(projects)).toEqual([]);
  });
});
