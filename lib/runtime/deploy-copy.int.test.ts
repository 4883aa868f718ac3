import fs from "node:fs";
import { and, eq } from "drizzle-orm";
import { expect, it, vi } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import type * as ProcessRunner from "@/lib/process-runner";
import { environmentDeployDir } from "./deploy";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

// The deploy's copy of the build fails as on a full disk: every other command runs for real.
vi.mock("@/lib/process-runner", async (importOriginal) => {
  const original = await importOriginal<typeof ProcessRunner>();
  return {
    ...original,
    runFile: (file: string, args: readonly string[], options: Parameters<typeof original.runFile>[2]) =>
      file === "cp" && args.includes("-T")
        ? Promise.resolve({ stdout: "", stderr: "cp: error writing 'public/big.bin': No space left on device\n", exitCode: 1, signal: null, failure: null })
        : original.runFile(file, args, options),
  };
});

describeEachDatabase("a deploy whose copy of the build fails", ({ db }) => {
  it("fails its activity with the reason, leaves no half-made deployment and keeps nothing deployed", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("full");
    await createProject(db(), admin, { id, title: "Full", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
    } finally {
      await worker.stop();
    }
    const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
    expect(staging!.deployedCommit).toBeNull();
    const [first] = await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.environmentId, staging!.id)));
    expect(first!.result).toBe("failure");
    const log = (await getActivityLog(db(), first!.id)).map((l) => l.text);
    expect(log).toContain("The build could not be copied into a new deployment: cp: error writing 'public/big.bin': No space left on device");
    const dir = environmentDeployDir(id, "staging");
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  }, 60_000);
});
