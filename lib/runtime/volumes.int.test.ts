import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { environmentDeployDir, removeDeployLeftovers } from "./deploy";
import { currentDataPath, directoryBytes, volumesRoot } from "./volumes";

const deployLog = (projectId: string, env: string) => path.join(currentDataPath(projectId, env), "mounts", "var", "log", "deploy.log");

describeEachDatabase("environment data", ({ db }) => {
  it("branch copies the parent's data, sync with data replaces it, deactivate deletes it; deploys see the mounts", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("data");
    await createProject(db(), admin, { id, title: "Data", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      // staging's deploy hook wrote into its `var` mount, which lives in its data.
      expect(fs.readFileSync(deployLog(id, "staging"), "utf8")).toMatch(/ staging deployed [0-9a-f]{40}\n$/);
      const deployed = fs.realpathSync(path.join(environmentDeployDir(id, "staging"), "current"));
      // The mount's place in the deployment is an empty folder the sandbox binds the mount onto.
      expect(fs.lstatSync(path.join(deployed, "var")).isDirectory()).toBe(true);
      expect(fs.readdirSync(path.join(deployed, "var"))).toEqual([]);
      expect(JSON.parse(fs.readFileSync(path.join(deployed, ".mounts.json"), "utf8"))).toContainEqual({ path: "pub/media", folder: "mounts/pub%2Fmedia" });
      expect(fs.existsSync(path.join(currentDataPath(id, "staging"), "services", "mysql"))).toBe(true);
      expect(fs.existsSync(path.join(currentDataPath(id, "staging"), "services", "redis"))).toBe(false); // no disk

      const branch = await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "child", title: "", type: "development" });
      await worker.idle();
      const childLog = fs.readFileSync(deployLog(id, "child"), "utf8").trim().split("\n");
      expect(childLog).toHaveLength(2);
      expect(childLog[0]).toContain(" staging deployed ");
      expect(childLog[1]).toContain(" child deployed ");
      const lines = (await getActivityLog(db(), branch.id)).map((l) => l.text);
      expect(lines.find((l) => /^Copied .+ of files from/.test(l))).toMatch(/^Copied .+ from staging \((reflink copy|plain copy)/);

      // The parent's data changes; a code-only sync leaves the child's alone, a data sync replaces it.
      fs.writeFileSync(path.join(currentDataPath(id, "staging"), "mounts", "var", "marker"), "from staging");
      fs.writeFileSync(path.join(currentDataPath(id, "child"), "mounts", "var", "own"), "child's own");
      await commitOn(id, "staging", { "notes.txt": "new on staging" }, "A commit for the child to sync"); // a code sync needs something new
      await requestEnvironmentAction(db(), admin, id, "child", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      expect(fs.existsSync(path.join(currentDataPath(id, "child"), "mounts", "var", "marker"))).toBe(false);
      await requestEnvironmentAction(db(), admin, id, "child", { action: "sync", code: false, data: true, rebase: false });
      await worker.idle();
      expect(fs.readFileSync(path.join(currentDataPath(id, "child"), "mounts", "var", "marker"), "utf8")).toBe("from staging");
      expect(fs.existsSync(path.join(currentDataPath(id, "child"), "mounts", "var", "own"))).toBe(false);
      expect(fs.readdirSync(volumesRoot(id, "child")).filter((e) => e.startsWith("gen-"))).toHaveLength(1); // the old generation is gone

      await requestEnvironmentAction(db(), admin, id, "child", { action: "deactivate", confirmation: "child" });
      await worker.idle();
      expect(fs.existsSync(volumesRoot(id, "child"))).toBe(false);
    } finally {
      await worker.stop();
    }
  });
});

it("measures a tree's bytes exactly while many files are read at once", async () => {
  const dir = fs.mkdtempSync(path.join(process.env.DATA_DIR!, "sizes-"));
  let expected = 0;
  for (let d = 0; d < 20; d++) {
    fs.mkdirSync(path.join(dir, `d${d}`, "nested"), { recursive: true });
    for (let f = 0; f < 50; f++) {
      const size = 1000 + d * 50 + f;
      fs.writeFileSync(path.join(dir, `d${d}`, f % 2 ? "nested" : "", `f${f}`), Buffer.alloc(size));
      expected += size;
    }
  }
  fs.symlinkSync("/etc/passwd", path.join(dir, "link")); // a symlink is not followed nor counted
  expect(await directoryBytes(dir)).toBe(expected);
});

it("removes what a dead worker's deploy left half-made, never the current deployment", async () => {
  const dir = (p: string) => {
    fs.mkdirSync(p, { recursive: true });
    fs.writeFileSync(path.join(p, "file"), "x");
    return p;
  };
  const builds = path.join(process.env.DATA_DIR!, "builds", "leftovers");
  const halfBuilt = dir(path.join(builds, "tree1.tmp-dead"));
  const otherBuild = dir(path.join(builds, "tree2.tmp-alive"));
  const envDir = environmentDeployDir("leftovers", "staging");
  const halfDeployed = dir(path.join(envDir, "dead"));
  const live = dir(path.join(envDir, "live"));
  fs.symlinkSync(live, path.join(envDir, "current"));
  await removeDeployLeftovers("leftovers", "staging", "dead");
  await removeDeployLeftovers("leftovers", "staging", "live"); // finished its switch before dying: kept
  expect([fs.existsSync(halfBuilt), fs.existsSync(halfDeployed), fs.existsSync(otherBuild), fs.existsSync(live)]).toEqual([false, false, true, true]);
});
