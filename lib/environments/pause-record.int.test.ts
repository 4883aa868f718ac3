import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { starterProject } from "@/lib/testing-fixtures";
import { getPauseRecord } from "./pause-record";

describeEachDatabase("who paused an environment, and when", ({ db }) => {
  it("names the member whose Pause is in force, or says the project paused it; nothing when it is not paused", async () => {
    const { admin, id } = await starterProject(db(), "paused");
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    expect(await getPauseRecord(db(), staging!)).toBeNull();
    const later = (minutes: number) => new Date(Date.now() + 60_000 + minutes * 60_000);
    const pause = (createdBy: string | null, description: string, minutes: number, result: "success" | "failure" = "success") => ({
      projectId: id,
      environmentId: staging!.id,
      environmentName: "staging",
      type: "environment.pause",
      state: "complete" as const,
      result,
      description,
      createdBy,
      createdAt: later(minutes),
    });
    await db().insert(activities).values([pause(null, "Pause staging: not deployed for 14 days", 1), pause(admin.id, "Pause staging", 2), pause(null, "Pause staging: not deployed for 14 days", 3, "failure")]);
    const pausedAt = later(2);
    const record = await getPauseRecord(db(), { id: staging!.id, pausedAt });
    expect(record).toMatchObject({ at: pausedAt.toISOString(), by: admin.name || admin.email, description: "Pause staging" });
    await db().insert(activities).values(pause(null, "Pause staging: not deployed for 14 days", 4));
    expect(await getPauseRecord(db(), { id: staging!.id, pausedAt })).toMatchObject({ by: null, description: "Pause staging: not deployed for 14 days" });
  });
});
