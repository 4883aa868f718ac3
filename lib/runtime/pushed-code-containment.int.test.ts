import fs from "node:fs";
import { request as httpRequest } from "node:http";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker } from "@/lib/activity-runners";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { projectTemplate } from "@/lib/git/template";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { requestRestore, requestSnapshot, snapshotDir } from "@/lib/snapshots/snapshots";
import { createEnvironmentRouter } from "./router";
import { readManifest } from "./snapshot-archive";
import { sandboxSupport } from "./sandbox";
import { liveGeneration, volumesRoot } from "./volumes";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

// The probe's reproduction (issue 31): a Staging contributor's post_deploy hook tries to steer
// the server's data operations with links — to Production's data, the instance database and
// /etc — and then Branch copies Staging and the router serves it. Nothing it names is read,
// written or served.
const support = sandboxSupport();
const suite = support.ok ? describeEachDatabase : (title: string) => it.skip(`${title} (SKIPPED: ${support.reason})`, () => {});
const SECRET = "production customers: alice, bob";

function hostileApp(projectId: string): string {
  const data = process.env.DATA_DIR!;
  const prod = `${data}/volumes/${projectId}/master`;
  // A mount inside the web root (public/media), where the links are planted for nginx to serve.
  const yaml = projectTemplate("Hostile", [])[".magento.app.yaml"]!.replace('  "pub/media": "shared:files/media"\n', '  "pub/media": "shared:files/media"\n  "public/media": "shared:files/pmedia"\n');
  return yaml.replace(
    '  post_deploy: |\n',
    `  post_deploy: |
    attempt() { if ( eval "$2" ) >/dev/null 2>&1; then echo "ESCAPED $1"; else echo "BLOCKED $1"; fi; }
    attempt mount-is-a-link "readlink /app/var"
    attempt see-volumes-root "ls '${data}/volumes/${projectId}/$MAGENTO_CLOUD_ENVIRONMENT'"
    attempt forge-current "ln -sfn '${prod}/current' /app/current.x"
    attempt read-production "cat /app/var/prod/mounts/var/customers.csv"
    attempt read-database "ls /app/var/db/"
    attempt write-etc "touch /app/var/etc/pwned"
    attempt replace-mount "mv -T /app/var /app/var.x"
    ln -sfn '${prod}/current' /app/var/prod
    ln -sfn '${data}/pglite' /app/var/db
    ln -sfn /etc /app/var/etc
    ln -sfn / /app/var/root
    ln -sfn '${prod}/current/mounts/var/customers.csv' /app/public/media/stolen.html
    ln -sfn '${data}/volumes' /app/public/media/volumes
    mkfifo /app/var/pipe
    echo "links planted"
`,
  );
}

function get(port: number, p: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

suite("pushed code that writes links into its environment's data", ({ db }) => {
  it("reaches nothing outside it: not through Branch, the router, sizes or snapshots", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("links");
    await createProject(db(), admin, { id, title: "Links", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    const router: http.Server = createEnvironmentRouter(async () => db());
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
    const port = (router.address() as AddressInfo).port;
    try {
      await worker.idle();
      const production = liveGeneration(id, "master")!;
      fs.writeFileSync(path.join(production, "mounts", "var", "customers.csv"), SECRET);
      const etcBefore = fs.readdirSync("/etc").sort();

      // The contributor's code reaches Staging (here by a code sync from its parent).
      await commitOn(id, "master", { ".magento.app.yaml": hostileApp(id) }, "Hostile post_deploy");
      const deploy = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const deployLog = (await getActivityLog(db(), deploy.id)).map((l) => l.text);
      expect((await db().select().from(activities).where(eq(activities.id, deploy.id)))[0]?.result, deployLog.join("\n")).toBe("success");
      expect(deployLog, deployLog.join("\n")).toContain("links planted");
      expect(deployLog.filter((l) => l.startsWith("ESCAPED"))).toEqual([]);
      for (const what of ["mount-is-a-link", "see-volumes-root", "forge-current", "replace-mount"]) expect(deployLog).toContain(`BLOCKED ${what}`);
      expect(fs.readlinkSync(path.join(volumesRoot(id, "staging"), "current"))).toMatch(/^gen-/); // the bookkeeping is the server's

      // Branch from Staging: the child gets the links as links, and its own hooks cannot use them.
      const branch = await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "child", title: "", type: "development" });
      await worker.idle();
      const branchLog = (await getActivityLog(db(), branch.id)).map((l) => l.text);
      expect((await db().select().from(activities).where(eq(activities.id, branch.id)))[0]?.result, branchLog.join("\n")).toBe("success");
      expect(branchLog).toContain("Not copied: mounts/var/pipe: a FIFO (named pipe): not copied.");
      const child = liveGeneration(id, "child")!;
      expect(fs.readlinkSync(path.join(child, "mounts", "var", "prod"))).toBe(`${process.env.DATA_DIR}/volumes/${id}/master/current`);
      expect(fs.readlinkSync(path.join(child, "mounts", "var", "db"))).toBe(`${process.env.DATA_DIR}/pglite`);
      expect(fs.existsSync(path.join(child, "mounts", "var", "customers.csv"))).toBe(false);
      for (const what of ["read-production", "read-database", "write-etc"]) expect(branchLog, branchLog.join("\n")).toContain(`BLOCKED ${what}`);
      expect(branchLog.filter((l) => l.startsWith("ESCAPED"))).toEqual([]);

      // The router serves each environment's own files only.
      // (nginx follows no link, and in the sandbox the links' targets do not exist; an unknown path is PHP's.)
      const stolen = await get(port, `/${id}/staging/media/stolen.html`);
      expect(stolen.body).not.toContain(SECRET);
      expect(stolen.body).not.toContain("<?php");
      for (const p of ["/media/volumes/", "/media/../var/prod/mounts/var/customers.csv", "/media/volumes/" + id + "/master/current/mounts/var/customers.csv"]) expect((await get(port, `/${id}/staging${p}`)).body).not.toContain(SECRET);
      const own = await get(port, `/${id}/staging/`);
      expect(own.status).toBe(200);
      expect(own.body).toContain("staging");

      // A snapshot of Staging archives the links as links and leaves the FIFO out, with a line.
      const snap = await requestSnapshot(db(), admin, id, "staging", { consistency: "consistent", replaceOldest: false });
      await worker.idle();
      const snapLog = (await getActivityLog(db(), snap.activity.id)).map((l) => l.text);
      expect((await db().select().from(activities).where(eq(activities.id, snap.activity.id)))[0]?.result, snapLog.join("\n")).toBe("success");
      expect(snapLog).toContain("Not copied: mounts/var/pipe: a FIFO (named pipe): not copied.");
      const manifest = readManifest(snapshotDir(id, snap.snapshot.id));
      expect(manifest.files.find((f) => f.path === "mounts/var/etc")).toMatchObject({ type: "symlink", linkTarget: "/etc" });
      expect(manifest.files.some((f) => f.path.startsWith("mounts/var/etc/") || f.path.startsWith("mounts/var/prod/") || f.path.includes("pipe"))).toBe(false);

      // Restored into Staging: the links come back as links, and nothing outside changed.
      const restore = await requestRestore(db(), admin, id, snap.snapshot.id, "staging");
      await worker.idle();
      const restoreLog = (await getActivityLog(db(), restore.id)).map((l) => l.text);
      expect((await db().select().from(activities).where(eq(activities.id, restore.id)))[0]?.result, restoreLog.join("\n")).toBe("success");
      expect(fs.readlinkSync(path.join(liveGeneration(id, "staging")!, "mounts", "var", "root"))).toBe("/");
      expect(fs.lstatSync(path.join(liveGeneration(id, "staging")!, "mounts", "var", "db")).isSymbolicLink()).toBe(true);

      expect(fs.readFileSync(path.join(production, "mounts", "var", "customers.csv"), "utf8")).toBe(SECRET);
      expect(fs.readdirSync("/etc").sort()).toEqual(etcBefore);
    } finally {
      router.close();
      await worker.stop();
    }
  }, 120_000);

  it("leaves links at the server's own file names in a build: they are replaced, never written through", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("names");
    await createProject(db(), admin, { id, title: "Names", plan: "starter", region: "us-3" });
    const worker = startActivityWorker(db());
    const victims = [".deploy-commit", ".web-root", ".router.json", ".mounts.json", ".build-complete"].map((name) => {
      const file = path.join(process.env.DATA_DIR!, `victim-${id}${name}`);
      fs.writeFileSync(file, "untouched");
      return { name, file };
    });
    try {
      await worker.idle();
      const yaml = projectTemplate("Names", [])[".magento.app.yaml"]!.replace("  build: |\n    set -e\n", `  build: |\n    set -e\n${victims.map((v) => `    ln -sfn '${v.file}' /app/${v.name}\n`).join("")}`);
      await commitOn(id, "master", { ".magento.app.yaml": yaml }, "Links at the server's names");
      const deploy = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const log = (await getActivityLog(db(), deploy.id)).map((l) => l.text);
      expect((await db().select().from(activities).where(eq(activities.id, deploy.id)))[0]?.result, log.join("\n")).toBe("success");
      for (const v of victims) expect(fs.readFileSync(v.file, "utf8"), v.name).toBe("untouched");
    } finally {
      await worker.stop();
    }
  }, 120_000);
});
