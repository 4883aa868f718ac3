// An environment's services for real: a new project's environment deploys with MariaDB and Redis
// running in their sandboxes, its page counts visits in the database, Pause stops the services
// (sockets and processes gone), Resume brings them back with the counter kept, a Branch's MariaDB
// starts on a copy of the parent's data with its own credentials, and the relationships hold no
// host path nor reach a log. Also measures deploy → site answering from the database.
import fs from "node:fs";
import path from "node:path";
import { request as httpRequest } from "node:http";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { and, asc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments, serviceCredentials } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { startActivityWorker } from "@/lib/activity-runners";
import { getActivityLog } from "@/lib/activities/log-store";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { requestPause } from "@/lib/environments/settings";
import { projectTemplate } from "@/lib/git/template";
import { starterProject } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { getRuntimeDriver } from "./driver/get-driver";
import { readSealedRelease, releaseDir } from "./driver/release-files";
import type { ReleaseSpec } from "./driver/runtime-driver";
import { createEnvironmentRouter } from "./router";
import { requireServices } from "./services/testing-service-clients";
import { serviceRuntimeDir } from "./services/service-paths";
import { environmentDeployDir } from "./deploy";

const why = requireServices(["mysql:10.6", "redis:7.0"]);

function getFrom(port: number) {
  return (host: string, p = "/") =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: p, headers: { host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", reject);
      req.end();
    });
}

const visitsOf = (page: string) => Number(/id="visits">(\d+)</.exec(page)?.[1] ?? Number.NaN);
const visitsSource = (page: string) => /id="visits-source">\(([^<]*)\)</.exec(page)?.[1];
const greetingCache = (page: string) => /id="greeting-cache">\(([^<]*)\)</.exec(page)?.[1];

/** The processes whose command line names `needle` (a sandbox's bind of a service's socket folder). */
function processesNaming(needle: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describeEachDatabase("an environment's services", ({ db }) => {
  it.skipIf(Boolean(why))("run MariaDB and Redis for the application, stop on Pause, come back on Resume with their data, and are copied by a Branch", async () => {
    const { admin, id } = await starterProject(db(), "svc");
    const router: http.Server = createEnvironmentRouter(async () => db());
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
    const port = (router.address() as AddressInfo).port;
    const get = getFrom(port);
    const site = (env = "staging", p = "/") => get(`${env}.${id}.localhost:${port}`, p);
    const driver = getRuntimeDriver();
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      const deploys = await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.environmentName, "staging"))).orderBy(asc(activities.createdAt));
      const firstDeploy = deploys.at(-1)!;
      expect(firstDeploy.result, firstDeploy.description).toBe("success");
      const firstPage = await site();
      const firstAnswered = Date.now();
      expect(firstPage.status).toBe(200);
      expect(visitsSource(firstPage.body), firstPage.body).toBe("counted in MariaDB");
      expect(greetingCache(firstPage.body)).toBe("stored in Redis for 60 s");
      const visits = visitsOf(firstPage.body);
      expect(visits).toBeGreaterThanOrEqual(1);
      const second = await site();
      expect(visitsOf(second.body)).toBe(visits + 1);
      expect(greetingCache(second.body)).toBe("from the Redis cache");
      console.log(`First deploy (new project, MariaDB initialised) → site answering from the database: activity ${(firstDeploy.completedAt!.getTime() - firstDeploy.startedAt!.getTime()) / 1000} s; started → first page ${(firstAnswered - firstDeploy.startedAt!.getTime()) / 1000} s`);

      // The deploy log: each service that does not run here in one sentence; started services; no password.
      const log = (await getActivityLog(db(), firstDeploy.id)).map((r) => r.text).join("\n");
      expect(log).toMatch(/The service opensearch \(opensearch:2\): OpenSearch does not run on this host: the service is shown but not started, and relationships leave it out\./);
      expect(log).toMatch(/MariaDB [\d.]+ \(mysql\) answers \(started in [\d.]+ s\)/);
      expect(log).toMatch(/Redis [\d.]+ \(redis\) answers/);
      expect(log).toContain("Relationships: database, redis");

      // The relationships the application got: sockets inside its sandbox, no host path, only services that run here.
      const current = fs.realpathSync(path.join(environmentDeployDir(id, "staging"), "current"));
      const spec = readSealedRelease(releaseDir(id, "staging", path.basename(current))) as ReleaseSpec;
      const relationshipsText = Buffer.from(spec.env.MAGENTO_CLOUD_RELATIONSHIPS!, "base64").toString("utf8");
      const relationships = JSON.parse(relationshipsText) as Record<string, { socket: string; password: string; username: string | null; scheme: string; path: string | null }[]>;
      expect(Object.keys(relationships).sort()).toEqual(["database", "redis"]);
      expect(relationships.database![0]).toMatchObject({ scheme: "mysql", socket: "/run/services/mysql/mysql.sock", username: "user", path: "main" });
      expect(relationships.redis![0]).toMatchObject({ scheme: "redis", socket: "/run/services/redis/redis.sock" });
      expect(relationshipsText).not.toContain(process.env.DATA_DIR!);
      for (const r of Object.values(relationships)) expect(log).not.toContain(r[0]!.password);
      // Kept sealed: the stored row is not the password.
      const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
      const stored = await db().select().from(serviceCredentials).where(eq(serviceCredentials.environmentId, staging!.id));
      expect(stored.map((r) => r.serviceId).sort()).toEqual(["mysql", "redis"]);
      for (const r of stored) expect(r.sealed).not.toContain(relationships.database![0]!.password);
      expect(driver.serviceStatus(id, "staging").map((s) => [s.serviceId, s.state]).sort()).toEqual([["mysql", "running"], ["redis", "running"]]);
      // Each service's own log (the Logs tab's "Service mysql"): its start, and the engine's error log.
      const serviceLog = fs.readFileSync(path.join(process.env.DATA_DIR!, "logs", id, "staging", "service-mysql.log"), "utf8");
      expect(serviceLog).toMatch(/Starting MariaDB [\d.]+ \(service mysql\)/);
      expect(serviceLog).toMatch(/ready for connections/);
      expect(serviceLog).not.toContain(relationships.database![0]!.password);

      // A redeploy keeps the services running (same configuration, data and credentials).
      const redeployAsked = Date.now();
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      await worker.idle();
      const afterRedeploy = await site();
      const redeployMs = Date.now() - redeployAsked;
      expect(visitsOf(afterRedeploy.body)).toBe(visits + 2);
      const [redeploy] = await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.type, "environment.redeploy")));
      expect(redeploy!.result).toBe("success");
      const redeployLog = (await getActivityLog(db(), redeploy!.id)).map((r) => r.text).join("\n");
      expect(redeployLog).toMatch(/MariaDB [\d.]+ \(mysql\) keeps running: nothing about it changed\./);
      console.log(`Redeploy → site answering from the database: ${redeployMs / 1000} s (activity ${(redeploy!.completedAt!.getTime() - redeploy!.startedAt!.getTime()) / 1000} s)`);

      // Pause: the services stop after the application; their sockets and processes are gone.
      const mysqlSock = path.join(serviceRuntimeDir(id, "staging", "mysql"), "sock");
      const redisSock = path.join(serviceRuntimeDir(id, "staging", "redis"), "sock");
      expect(fs.existsSync(path.join(mysqlSock, "mysql.sock"))).toBe(true);
      expect(processesNaming(mysqlSock).length).toBeGreaterThan(0);
      await requestPause(db(), admin, id, "staging", true);
      await worker.idle();
      expect(driver.serviceStatus(id, "staging")).toEqual([]);
      expect(fs.existsSync(path.join(mysqlSock, "mysql.sock"))).toBe(false);
      expect(fs.existsSync(path.join(redisSock, "redis.sock"))).toBe(false);
      expect(processesNaming(mysqlSock)).toEqual([]);
      expect(processesNaming(redisSock)).toEqual([]);
      expect((await site()).status).toBe(503);

      // Resume: the services first, then the application; the counter is kept (MariaDB's data), the cache is not (redis: is a cache).
      await requestPause(db(), admin, id, "staging", false);
      await worker.idle();
      const resumed = await site();
      expect(resumed.status).toBe(200);
      expect(visitsOf(resumed.body)).toBe(visits + 3);
      expect(greetingCache(resumed.body)).toBe("stored in Redis for 60 s");
      expect(driver.serviceStatus(id, "staging").map((s) => s.state)).toEqual(["running", "running"]);

      // A Branch copies the data: the child's MariaDB starts on the parent's files, with the child's own credentials.
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "feature", title: "Feature", type: "development" });
      await worker.idle();
      const child = await site("feature");
      expect(child.status, child.body).toBe(200);
      expect(visitsSource(child.body)).toBe("counted in MariaDB");
      expect(visitsOf(child.body)).toBe(visits + 4);
      expect(visitsOf((await site()).body)).toBe(visits + 4); // the parent counts on its own
      const childSpec = readSealedRelease(releaseDir(id, "feature", path.basename(fs.realpathSync(path.join(environmentDeployDir(id, "feature"), "current"))))) as ReleaseSpec;
      const childRelationships = JSON.parse(Buffer.from(childSpec.env.MAGENTO_CLOUD_RELATIONSHIPS!, "base64").toString("utf8")) as typeof relationships;
      expect(childRelationships.database![0]!.password).not.toBe(relationships.database![0]!.password);
      // …copied consistently while the parent served: a hot physical copy of the running MariaDB where mariadb-backup is installed, else a dump and load.
      const [branch] = await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.type, "environment.branch")));
      const branchLog = (await getActivityLog(db(), branch!.id)).map((r) => r.text).join("\n");
      expect(branchLog).toMatch(/Copied mysql consistently \((mariadb-backup: a hot physical copy; commits waited once, at its end|mariadb-dump --single-transaction \| mariadb)\) in [\d.]+ s; staging was not paused\./);
      console.log(`Branch (MariaDB copied while it served): activity ${(branch!.completedAt!.getTime() - branch!.startedAt!.getTime()) / 1000} s`);

      // Sync data: the child's data becomes the parent's again (its running services stop before the switch, its deploy starts them on the copy).
      for (let i = 0; i < 3; i++) await site();
      const parentNow = visitsOf((await site()).body);
      await requestEnvironmentAction(db(), admin, id, "feature", { action: "sync", code: false, data: true, rebase: false });
      await worker.idle();
      const synced = await site("feature");
      expect(synced.status, synced.body).toBe(200);
      expect(visitsOf(synced.body)).toBe(parentNow + 1);
      expect(driver.serviceStatus(id, "feature").map((s) => [s.serviceId, s.state]).sort()).toEqual([["mysql", "running"], ["redis", "running"]]);

      // A service that cannot start (a MariaDB whose disk, 1 MB, cannot hold its first files) fails the deploy with a sentence; the previous release keeps serving, its services too.
      const servedCommit = /<code id="commit">([0-9a-f]{40})</.exec((await site()).body)![1];
      const services = projectTemplate("x")[".magento/services.yaml"]!;
      await commitOn(id, "master", { ".magento/services.yaml": `${services}broken:\n  type: mariadb:10.11\n  disk: 1\n` }, "A service too small to start");
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const [sync] = await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.environmentName, "staging"), eq(activities.type, "environment.synchronize")));
      expect(sync!.result).toBe("failure");
      const syncLog = (await getActivityLog(db(), sync!.id)).map((r) => r.text).join("\n");
      expect(syncLog).toMatch(/MariaDB [\d.]+ \(broken\) stopped while starting \(exit code \d+\); its log says why\. Its log \(service-broken\) says more\./);
      expect(syncLog).toContain("The previous deployment stays current.");
      const still = await site();
      expect(/<code id="commit">([0-9a-f]{40})</.exec(still.body)![1]).toBe(servedCommit);
      expect(visitsSource(still.body)).toBe("counted in MariaDB");
      expect(driver.serviceStatus(id, "staging").map((s) => s.serviceId).sort()).toEqual(["mysql", "redis"]);

      // A deploy hook that prints the relationships shows no password, in the activity's log or in deploy.log.
      const app = projectTemplate("x")[".magento.app.yaml"]!.replace("    set -e\n    echo \"Deploying", "    set -e\n    echo \"$MAGENTO_CLOUD_RELATIONSHIPS\" | base64 -d; echo\n    echo \"Deploying");
      await commitOn(id, "master", { ".magento.app.yaml": app, ".magento/services.yaml": services }, "Print the relationships");
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const printed = (await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.environmentName, "staging"), eq(activities.type, "environment.synchronize")))).find((a) => a.id !== sync!.id)!;
      expect(printed.result).toBe("success");
      const printedLog = (await getActivityLog(db(), printed.id)).map((r) => r.text).join("\n");
      expect(printedLog).toContain('"socket":"/run/services/mysql/mysql.sock"');
      expect(printedLog).toContain('"password":"******"');
      const deployLogFile = fs.readFileSync(path.join(process.env.DATA_DIR!, "logs", id, "staging", "deploy.log"), "utf8");
      expect(deployLogFile).toContain('"password":"******"');
      for (const r of Object.values(relationships)) {
        expect(printedLog).not.toContain(r[0]!.password);
        expect(deployLogFile).not.toContain(r[0]!.password);
      }

      // Deactivate (as Delete): the services stop and their runtime folders (with the credentials) go.
      await requestEnvironmentAction(db(), admin, id, "feature", { action: "deactivate", confirmation: "feature" });
      await worker.idle();
      expect(driver.serviceStatus(id, "feature")).toEqual([]);
      expect(fs.existsSync(serviceRuntimeDir(id, "feature", "mysql"))).toBe(false);
    } finally {
      await worker.stop();
      router.close();
      await driver.removeServices(id, "staging", "The test is over.", { now: true });
      await driver.stopEnvironment(id, "staging", "The test is over.", { now: true });
    }
  }, 300_000);
});
