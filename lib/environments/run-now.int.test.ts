// Run now: one run of a deployed cron (or a runtime operation) as an activity, beside the
// environment's running release, in a sandbox like its deploy hooks'. Its output is the activity's log and
// cron.log; its timeout sends SIGTERM, then SIGKILL after its shutdown_timeout; who may run it and
// what may be run are checked on the server.
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import { and, desc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, projectMembers } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { startActivityWorker } from "@/lib/activity-runners";
import { getActivityLog } from "@/lib/activities/log-store";
import { projectTemplate } from "@/lib/git/template";
import { dataPaths } from "@/lib/paths";
import { getRuntimeDriver } from "@/lib/runtime/driver/get-driver";
import { sandboxSupport } from "@/lib/runtime/sandbox";
import { liveGeneration } from "@/lib/runtime/volumes";
import { makeUser, starterProject, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { requestCronRun, requestOperationRun } from "./run-now";
import { requestEnvironmentAction } from "./request-action";

withoutTemplateServices();
const sandbox = sandboxSupport();
if (!sandbox.ok && (process.env.CI || process.env.PWI_REQUIRE_SERVERS === "1")) throw new Error(`PWI_REQUIRE_SERVERS=1 and nothing can run beside a release here: ${sandbox.reason}`);
if (!sandbox.ok) console.warn(`\n\n!!! SKIPPED: nothing can run beside a release here: ${sandbox.reason} !!!\n\n`);

describeEachDatabase("Run now of a cron", ({ db }) => {
  it.skipIf(!sandbox.ok)("runs the deployed cron beside the release with its log, ends one past its timeout with SIGTERM then SIGKILL, and refuses what may not run", async () => {
    const { admin, id } = await starterProject(db(), "cron");
    const worker = startActivityWorker(db());
    const lastCron = async () => (await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.type, "environment.cron"))).orderBy(desc(activities.createdAt)).limit(1))[0]!;
    const logOf = async (activityId: string) => (await getActivityLog(db(), activityId)).map((r) => r.text).join("\n");
    try {
      await worker.idle();
      // The template's cron: `echo cron`, with the runtime variables of the environment.
      const first = await requestCronRun(db(), admin, id, "staging", "cronrun");
      expect(first.type).toBe("environment.cron");
      await worker.idle();
      const done = await lastCron();
      const log = await logOf(done.id);
      expect(done.result, log).toBe("success");
      expect(log).toMatch(/^cron$/m);
      expect(log).toMatch(/The cron cronrun ended successfully in [\d.]+ s\./);
      // cron.log has the same lines (its writer reaches the file shortly after).
      const cronLog = () => fs.readFileSync(path.join(dataPaths.environmentLogs(id, "staging"), "cron.log"), "utf8");
      await expect.poll(cronLog, { timeout: 5_000 }).toMatch(/ended successfully/);
      expect(cronLog()).toMatch(/ cron\n/);

      // A cron that ignores SIGTERM, past its timeout: SIGTERM, then SIGKILL after its shutdown_timeout; the env and mounts are the release's.
      const app = projectTemplate("x", [])[".magento.app.yaml"]!.replace(/crons:[\s\S]*$/, `crons:\n  stubborn:\n    spec: "* * * * *"\n    commands:\n      start: 'trap "echo got TERM" TERM; echo "env $MAGENTO_CLOUD_ENVIRONMENT niceness $(nice)"; touch /app/var/cron-was-here; while :; do sleep 0.1; done'\n    timeout: 1\n    shutdown_timeout: 1\noperations:\n  clear-cache:\n    role: contributor\n    commands:\n      start: echo "flushed $MAGENTO_CLOUD_ENVIRONMENT niceness $(nice)"\n  reindex:\n    commands:\n      start: echo reindexed\n`);
      await commitOn(id, "master", { ".magento.app.yaml": app }, "A cron that will not stop");
      const sync = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const [synced] = await db().select().from(activities).where(eq(activities.id, sync.id));
      expect(synced!.result, await logOf(sync.id)).toBe("success");
      await expect(requestCronRun(db(), admin, id, "staging", "cronrun")).rejects.toThrow("Staging's deployed .magento.app.yaml has no cron “cronrun”.");
      await requestCronRun(db(), admin, id, "staging", "stubborn");
      await worker.idle();
      const stubborn = await lastCron();
      const stubbornLog = await logOf(stubborn.id);
      expect(stubborn.result, stubbornLog).toBe("failure");
      // A cron is background work: it yields the CPU (niceness 10 above the server's); an operation, asked for by a member, does not.
      const base = os.getPriority();
      expect(stubbornLog).toContain(`env staging niceness ${Math.min(19, base + 10)}`);
      expect(stubbornLog).toMatch(/The cron stubborn reached its time limit of 1 s: SIGTERM sent; it is killed in 1 s unless it ends\./);
      expect(stubbornLog).toContain("got TERM");
      expect(stubbornLog).toMatch(/The cron stubborn did not end within 1 s of SIGTERM: SIGKILL\./);
      expect(stubbornLog).toContain("The cron stubborn ran longer than its timeout of 1 s and was stopped.");
      // The release's own mount (var) was writable to it.
      const live = liveGeneration(id, "staging")!;
      expect(fs.readdirSync(live, { recursive: true }).map(String).some((f) => f.endsWith("cron-was-here"))).toBe(true);

      // A viewer may not run it; a cron the deployment does not have is refused.
      const viewer = await makeUser(db());
      await db().insert(projectMembers).values({ projectId: id, userId: viewer.id, role: "viewer", productionRole: "viewer", stagingRole: "viewer", developmentRole: "viewer" });
      await expect(requestCronRun(db(), viewer, id, "staging", "stubborn")).rejects.toThrow(/needs the contributor role or above/);
      await expect(requestCronRun(db(), admin, id, "staging", "../../x")).rejects.toThrow(/has no cron/);
      // Hostile names: 10 MB, a control character; the sentence quotes at most 64 characters of it.
      for (const name of ["x".repeat(10 * 1024 * 1024), "cronrun\u0000", "cron\nrun"]) {
        const refused = await requestCronRun(db(), admin, id, "staging", name).then(() => null, (e: Error) => e);
        expect(refused?.message).toMatch(/has no cron/);
        expect(refused!.message.length).toBeLessThan(200);
      }
      // A member of no project of these: as if the project did not exist.
      const stranger = await makeUser(db());
      await expect(requestCronRun(db(), stranger, id, "staging", "stubborn")).rejects.toThrow("This project does not exist or you do not have access to it.");

      // Runtime operations: each member's role against the operation's role, on the server.
      const contributor = await makeUser(db());
      await db().insert(projectMembers).values({ projectId: id, userId: contributor.id, role: "viewer", productionRole: "viewer", stagingRole: "contributor", developmentRole: "contributor" });
      await expect(requestOperationRun(db(), viewer, id, "staging", "clear-cache")).rejects.toThrow("The operation clear-cache needs the contributor role or above on Staging's environment type (its role in .magento.app.yaml); yours is viewer.");
      await expect(requestOperationRun(db(), contributor, id, "staging", "reindex")).rejects.toThrow(/needs the admin role or above/);
      await expect(requestOperationRun(db(), admin, id, "staging", "nope")).rejects.toThrow("Staging's deployed .magento.app.yaml has no operation “nope”.");
      for (const [who, name, said] of [[contributor, "clear-cache", `flushed staging niceness ${os.getPriority()}`], [admin, "reindex", "reindexed"]] as const) {
        const run = await requestOperationRun(db(), who, id, "staging", name);
        expect(run.description).toBe(`Operation ${name} on staging`);
        await worker.idle();
        const [ran] = await db().select().from(activities).where(eq(activities.id, run.id));
        const ranLog = await logOf(run.id);
        expect(ran!.result, ranLog).toBe("success");
        expect(ranLog).toContain(said);
        expect(ranLog).toMatch(new RegExp(`The operation ${name} ended successfully`));
      }
    } finally {
      await worker.stop();
      for (const env of ["master", "staging"]) await getRuntimeDriver().stopEnvironment(id, env, "test over").catch(() => undefined);
    }
  });
});
