import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { activities } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { projectTemplate } from "@/lib/git/template";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { usedBytes, watchDisk, type DiskVerdict } from "./disk-watch";
import type { LogSink } from "./log-sink";
import { runHook } from "./run-hook";
import { sandboxSupport } from "./sandbox";
import { liveGeneration } from "./volumes";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

// `disk:` of .magento.app.yaml enforced: a hook that writes past it is stopped with a line
// naming the limit, and no hook may leave the machine's disk (nearly) full.
const MiB = 1024 * 1024;
const support = sandboxSupport();
if (!support.ok && !process.env.CI) console.warn(`[disk limit] SANDBOXED TESTS SKIPPED: ${support.reason}`);
const sandboxed = !support.ok && !process.env.CI ? describe.skip : describe;

function recordingLog() {
  const lines: string[] = [];
  const log = { line: (text: string) => void lines.push(text), isBackedUp: () => false, drained: async () => {} } as unknown as LogSink;
  return { log, lines };
}

sandboxed("a hook's disk", () => {
  it("one file past the limit is stopped by the file-size limit; many files by the watchdog, with a line naming `disk`", async () => {
    const appDir = fs.mkdtempSync(path.join(process.env.DATA_DIR!, "disk-"));
    const limitBytes = 64 * MiB;
    const one = recordingLog();
    const r1 = await runHook({ script: "head -c 1000000000 /dev/zero > /app/big; echo exit $?", phase: "build", sandbox: { appDir, appWritable: true, binds: [], network: false }, env: {}, log: one.log, disk: { dirs: [appDir], limitBytes } });
    expect(fs.statSync(path.join(appDir, "big")).size).toBeLessThanOrEqual(limitBytes);
    expect(one.lines.find((l) => l.startsWith("exit "))).not.toBe("exit 0"); // `head` was stopped (SIGXFSZ) at the limit
    expect(r1.limit).toBe("disk"); // and the limit's worth of blocks is all the disk it had
    fs.rmSync(path.join(appDir, "big"));

    const many = recordingLog();
    const t0 = Date.now();
    const r2 = await runHook({ script: "i=0; while :; do i=$((i+1)); head -c 4194304 /dev/zero > /app/f$i || exit 1; done", phase: "build", sandbox: { appDir, appWritable: true, binds: [], network: false }, env: {}, log: many.log, disk: { dirs: [appDir], limitBytes } });
    const used = await usedBytes([appDir]);
    console.log(`[disk limit] stopped after ${Date.now() - t0} ms at ${(used / MiB).toFixed(1)} MiB of a ${limitBytes / MiB} MiB limit (overshoot ${((used - limitBytes) / MiB).toFixed(1)} MiB)`);
    expect(r2).toMatchObject({ limit: "disk", exitCode: null });
    expect(many.lines.join("\n")).toMatch(/The build hook wrote more than its disk allows: \d+ MiB used of 64 MiB \(disk: 64 in \.magento\.app\.yaml\), and was stopped with every process it started\./);
    expect(used).toBeGreaterThan(limitBytes);
    expect(used).toBeLessThan(limitBytes + 1024 * MiB); // the watchdog's precision: what it can write between two measurements

    // Background work (a cron, niceness 10) is measured at its niceness, and stopped the same way.
    for (const f of fs.readdirSync(appDir)) fs.rmSync(path.join(appDir, f));
    const niced = recordingLog();
    const r3 = await runHook({ script: "i=0; while :; do i=$((i+1)); head -c 4194304 /dev/zero > /app/f$i || exit 1; done", phase: "deploy", sandbox: { appDir, appWritable: true, binds: [], network: false }, env: {}, log: niced.log, disk: { dirs: [appDir], limitBytes }, niceness: 10 });
    expect(r3).toMatchObject({ limit: "disk", exitCode: null });
    expect(await usedBytes([appDir], 10)).toBe(await usedBytes([appDir]));
  }, 90_000);

  it("stops a hook when the machine's disk would be left with less than the floor", async () => {
    const dir = fs.mkdtempSync(path.join(process.env.DATA_DIR!, "floor-"));
    const free = await fs.promises.statfs(dir).then((s) => s.bavail * s.bsize);
    let verdict: DiskVerdict | null = null;
    const watch = watchDisk({ dirs: [dir], limitBytes: null, onExceeded: (v) => (verdict = v), freeFloorBytes: free + 1024 * MiB });
    const deadline = Date.now() + 3000;
    while (!verdict && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await watch.stop();
    expect(verdict).toMatchObject({ reason: "machine" });
  });
});

const deploySuite = support.ok || process.env.CI ? describeEachDatabase : (title: string) => it.skip(`${title} (SKIPPED: ${!support.ok ? support.reason : ""})`, () => {});
deploySuite("a deploy past its disk", ({ db }) => {
  it("fails with the limit's line; the previous deployment and the environment's data stay", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("disk");
    await createProject(db(), admin, { id, title: "Disk", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      const yaml = projectTemplate("Disk", [])[".magento.app.yaml"]!.replace("disk: 5120", "disk: 32").replace("  deploy: |\n    set -e\n", "  deploy: |\n    set -e\n    for i in $(seq 1 40); do head -c 2097152 /dev/zero > var/fill-$i; done\n");
      await commitOn(id, "master", { ".magento.app.yaml": yaml }, "Fills its mounts");
      const sync = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const [done] = await db().select().from(activities).where(eq(activities.id, sync.id));
      const log = (await getActivityLog(db(), sync.id)).map((l) => l.text);
      expect(done?.result, log.join("\n")).toBe("failure");
      expect(log.join("\n"), log.join("\n")).toMatch(/The deploy hook wrote more than its disk allows: \d+ MiB used of 32 MiB/);
      expect(log).toContain("The previous deployment stays current.");
      expect(fs.existsSync(path.join(liveGeneration(id, "staging")!, "mounts", "var", "log", "deploy.log"))).toBe(true);
    } finally {
      await worker.stop();
    }
  }, 90_000);
});
