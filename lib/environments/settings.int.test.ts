import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { activities, environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { addProjectMember } from "@/lib/projects/members";
import { environmentDeployDir } from "@/lib/runtime/deploy";
import { createEnvironmentRouter } from "@/lib/runtime/router";
import { commitOn } from "@/lib/testing-git";
import { makeUser, starterProject, withWorker, withoutTemplateServices } from "@/lib/testing-fixtures";
import { getProjectAccess } from "@/lib/auth/project-access";
import { getEnvironmentTopology } from "@/lib/topology/get-environment-topology";
import { requestEnvironmentAction } from "./request-action";
import { listShownEnvironmentsWithLatest } from "./queries";
import { environmentsWithChangedSettings, pauseIdleEnvironments, requestPause, settingsInputSchema, updateEnvironmentSettings } from "./settings";
import { setAutoPauseDays } from "@/lib/projects/update-project";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

const settings = (more: Partial<Record<string, unknown>> = {}) =>
  settingsInputSchema.parse({ enabled: false, newUsername: "", newPassword: "", removeUsernames: [], rules: "", restrictRobots: true, ...more });

describeEachDatabase("environment settings the router enforces", ({ db }) => {
  it("HTTP access control (login beats address rules, IPv4 and IPv6), robots, pause and resume; bad input writes nothing", async () => {
    const { admin, id } = await starterProject(db(), "settings");
    // The test says who the client is (the server stamps the real address the same way).
    const router: http.Server = createEnvironmentRouter(async () => db(), { clientAddress: (req) => String(req.headers["x-test-client"] ?? "127.0.0.1"), consoleUrl: "http://console.test" });
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
    const port = (router.address() as AddressInfo).port;
    const get = (env: string, p = "/", headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, path: `/${id}/${env}${p}`, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        });
        req.on("error", reject);
        req.end();
      });
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
    await withWorker(db(), async (worker) => {
      await worker.idle();
      // Defaults: Production visible to search engines, staging hidden.
      expect((await get("master")).headers["x-robots-tag"]).toBeUndefined();
      const staging = await get("staging");
      expect(staging.status).toBe(200);
      expect(staging.headers["x-robots-tag"]).toBe("noindex, nofollow");
      expect((await get("staging", "/robots.txt")).body).toBe("User-agent: *\nDisallow: /\n");

      // Bad input: a sentence each, nothing written.
      const row = async () => (await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging"))))[0]!;
      const count = async () => (await db().select().from(activities).where(eq(activities.projectId, id))).length;
      const [before, activitiesBefore] = [await row(), await count()];
      await expect(updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, newUsername: "a:b", newPassword: "pw" }))).rejects.toThrow("cannot contain “:”");
      await expect(updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, newUsername: "ann", newPassword: "" }))).rejects.toThrow("Enter a password");
      await expect(updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, rules: "10.0.0.0/33 allow" }))).rejects.toMatchObject({ fieldErrors: { rules: [expect.stringContaining("not an IPv4 or IPv6 address")] } });
      const many = Array.from({ length: 1000 }, (_, i) => `10.${Math.floor(i / 250)}.${i % 250}.1 allow`).join("\n");
      await expect(updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, rules: many }))).rejects.toMatchObject({ fieldErrors: { rules: [expect.stringContaining("At most 200 rules")] } });
      await expect(updateEnvironmentSettings(db(), admin, id, "master", settings({ enabled: true, rules: "0.0.0.0/0 deny", restrictRobots: false }))).rejects.toThrow("let nobody into Production");
      const relay = (host: string, port = "587") => ({ host, port, secure: false, username: "mailer", password: "relay-secret" });
      await expect(updateEnvironmentSettings(db(), admin, id, "staging", settings({ relay: relay("smtp.example.com") }))).rejects.toThrow("Only Production relays e-mail");
      expect(settingsInputSchema.safeParse({ ...settings(), relay: relay("bad host!") }).success).toBe(false);
      expect(settingsInputSchema.safeParse({ ...settings(), relay: relay("smtp.example.com", "70000") }).success).toBe(false);
      // A 10 MB rules field and a username with a tab: refused before anything is read.
      expect(settingsInputSchema.safeParse({ ...settings(), rules: "203.0.113.0/24 allow\n".repeat(500_000) }).success).toBe(false);
      await expect(updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, newUsername: "ann\tx", newPassword: "pw" }))).rejects.toThrow("no spaces or control characters");
      const viewer = await makeUser(db());
      await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
      await expect(updateEnvironmentSettings(db(), viewer, id, "staging", settings({ enabled: true, newUsername: "x", newPassword: "y" }))).rejects.toMatchObject({ code: "forbidden" });
      await expect(requestPause(db(), viewer, id, "staging", true)).rejects.toMatchObject({ code: "forbidden" });
      expect(await row()).toEqual(before);
      expect(await count()).toBe(activitiesBefore);

      // Production's relay: saved with the password sealed, recorded as an e-mail activity (no redeploy).
      const relayed = await updateEnvironmentSettings(db(), admin, id, "master", settings({ restrictRobots: false, relay: relay("smtp.example.com") }));
      expect(relayed).toMatchObject({ type: "environment.update.smtp", state: "complete", description: "Change the e-mail relay of master" });
      const [masterRow] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "master")));
      expect(masterRow!.mailRelay).toMatchObject({ host: "smtp.example.com", port: 587, username: "mailer" });
      expect(JSON.stringify(masterRow)).not.toContain("relay-secret");

      // A login and address rules: saved as an activity that redeploys staging.
      const saved = await updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, newUsername: "ann", newPassword: "open sesame", rules: "203.0.113.0/24 allow\n2001:db8::/32 allow\n198.51.100.7 deny" }));
      expect(saved).toMatchObject({ type: "environment.update.http_access", state: "pending", description: "Change HTTP access control of staging" });
      expect(JSON.stringify(await row())).not.toContain("open sesame");
      await worker.idle();
      expect((await db().select().from(activities).where(eq(activities.id, saved!.id)))[0]?.result).toBe("success");
      const cases: [string, Record<string, string>, number][] = [
        ["no login, no matching rule", { "x-test-client": "192.0.2.1" }, 401],
        ["allowed IPv4 range", { "x-test-client": "203.0.113.9" }, 200],
        ["allowed IPv6 range", { "x-test-client": "2001:db8::42" }, 200],
        ["IPv4-mapped client in the IPv4 range", { "x-test-client": "::ffff:203.0.113.9" }, 200],
        ["denied address", { "x-test-client": "198.51.100.7" }, 401],
        ["denied address with a valid login", { "x-test-client": "198.51.100.7", ...basic("ann", "open sesame") }, 200],
        ["wrong password", { "x-test-client": "192.0.2.1", ...basic("ann", "nope") }, 401],
      ];
      for (const [title, headers, status] of cases) expect((await get("staging", "/", headers)).status, title).toBe(status);
      // The topology's router node says what the router enforces.
      const topology = await getEnvironmentTopology(db(), (await getProjectAccess(db(), admin, id))!, await row());
      expect(topology.topology!.nodes.find((n) => n.kind === "router")!.facts).toEqual(expect.arrayContaining(["Access control: on (1 login, 3 address rules)", "Search engines: hidden (noindex)", "Outgoing e-mail: off (refused)"]));
      const asked = await get("staging", "/", { "x-test-client": "192.0.2.1" });
      expect(asked.headers["www-authenticate"]).toBe('Basic realm="staging", charset="UTF-8"');
      expect(asked.headers["x-robots-tag"]).toBe("noindex, nofollow");
      // Without logins a denied address gets 403 with the reason.
      await updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, removeUsernames: ["ann"], rules: "198.51.100.7 deny\n0.0.0.0/0 allow" }));
      await worker.idle();
      const forbidden = await get("staging", "/", { "x-test-client": "198.51.100.7" });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toContain("is denied by the rule “198.51.100.7 deny”");
      // The router's copy of the settings (with the login hashes) is never served.
      expect((await get("staging", "/../.router.json", { "x-test-client": "10.0.0.1" })).body).not.toContain("passwordHash");

      // Saving what is already saved records nothing (jsonb reorders keys; the comparison does not care).
      const unchanged = await row();
      expect(await updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, rules: "198.51.100.7 deny\n0.0.0.0/0 allow" }))).toBeNull();
      expect((await row()).updatedAt).toEqual(unchanged.updatedAt);

      // Robots off: no header, robots.txt is the site's own (here the passthru page).
      await updateEnvironmentSettings(db(), admin, id, "staging", settings({ restrictRobots: false }));
      await worker.idle();
      const visible = await get("staging", "/robots.txt");
      expect(visible.headers["x-robots-tag"]).toBeUndefined();
      expect(visible.body).not.toContain("Disallow");

      // Pause: 503 with a way back; Resume serves again; a redeploy resumes too.
      const pause = await requestPause(db(), admin, id, "staging", true);
      await worker.idle();
      expect((await getActivityLog(db(), pause.id)).map((l) => l.text).join("\n")).toContain("staging is paused");
      const paused = await get("staging");
      expect(paused.status).toBe(503);
      expect(paused.body).toContain("This environment is paused");
      expect(paused.body).toContain(`http://console.test/projects/${id}/environments/staging`);
      expect((await row()).pausedAt).not.toBeNull();
      await expect(requestPause(db(), admin, id, "staging", true)).rejects.toThrow("already paused");
      await requestPause(db(), admin, id, "staging", false);
      await worker.idle();
      expect((await get("staging")).status).toBe(200);
      await requestPause(db(), admin, id, "staging", true);
      await worker.idle();
      expect((await get("staging")).status).toBe(503);
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "redeploy" });
      await worker.idle();
      expect((await get("staging")).status).toBe(200);
      expect((await row()).pausedAt).toBeNull();

      // A child branched now inherits its parent's access control.
      await updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, newUsername: "ann", newPassword: "pw" }));
      await worker.idle();
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "branch", name: "kid", title: "Kid", type: "development" });
      await worker.idle();
      expect((await get("kid", "/", { "x-test-client": "192.0.2.1" })).status).toBe(401);
      expect((await get("kid", "/", { "x-test-client": "192.0.2.1", ...basic("ann", "pw") })).status).toBe(200);

      // A later change of the parent's reaches the child that inherits it at its next deploy; until then it says so.
      const changedNames = async () => {
        // As the overview reads them: each shown environment with its last deploy's fingerprints.
        const shown = await listShownEnvironmentsWithLatest(db(), id);
        const all = shown.map((s) => s.environment);
        const ids = environmentsWithChangedSettings(all, new Map(shown.flatMap((s) => (s.lastDeploy ? [[s.environment.id, s.lastDeploy] as const] : []))));
        return all.filter((e) => ids.has(e.id)).map((e) => e.name);
      };
      expect(await changedNames()).toEqual([]);
      await updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, newUsername: "bob", newPassword: "pw2" }));
      expect(await changedNames()).toEqual(expect.arrayContaining(["staging", "kid"]));
      await worker.idle();
      expect(await changedNames()).toEqual(["kid"]);
      expect((await get("kid", "/", { "x-test-client": "192.0.2.1", ...basic("bob", "pw2") })).status).toBe(401);
      await requestEnvironmentAction(db(), admin, id, "kid", { action: "redeploy" });
      await worker.idle();
      expect(await changedNames()).toEqual([]);
      expect((await get("kid", "/", { "x-test-client": "192.0.2.1", ...basic("bob", "pw2") })).status).toBe(200);
      // Its own settings end the inheritance: the parent's next change does not touch it.
      await updateEnvironmentSettings(db(), admin, id, "kid", settings({ enabled: false, inheritAccess: false }));
      await worker.idle();
      expect((await get("kid", "/", { "x-test-client": "192.0.2.1" })).status).toBe(200);
      await updateEnvironmentSettings(db(), admin, id, "staging", settings({ enabled: true, removeUsernames: ["bob"] }));
      await worker.idle();
      expect(await changedNames()).toEqual([]);

      // Hostile repository: the web root is the whole deployment and a symlink points at the
      // router's copy of the settings (login hashes): neither is served.
      const app = fs.readFileSync(path.join(environmentDeployDir(id, "staging"), "current", ".magento.app.yaml"), "utf8");
      await commitOn(id, "staging", { ".magento.app.yaml": app.replace('root: "public"', 'root: ""'), leak: { symlink: ".router.json" } }, "Serve everything");
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: false, data: true, rebase: false });
      await worker.idle();
      const login = { "x-test-client": "192.0.2.1", ...basic("ann", "pw") };
      expect((await get("staging", "/.magento.app.yaml", login)).status).toBe(200); // the root really is the deployment
      expect((await get("staging", "/.deploy-commit", login)).status).toBe(404); // but not the server's own files
      for (const p of ["/.router.json", "/leak", "/%2erouter.json"]) {
        const r = await get("staging", p, login);
        expect(r.body, p).not.toContain("passwordHash");
      }
    }).finally(() => router.close());
  }, 90_000); // three deploys and a pause with its redeploy: 10-20 s alone, more while the suite loads both cores

  it("pauses what nobody deploys: non-production environments past the project's idle days, as an activity; 0 never pauses", async () => {
    const { admin, id } = await starterProject(db(), "idle");
    await withWorker(db(), async (worker) => {
      await worker.idle();
      const longAgo = new Date(Date.now() - 15 * 24 * 3600_000);
      await db().update(environments).set({ deployedAt: longAgo }).where(eq(environments.projectId, id));
      const pauses = async () => (await db().select().from(activities).where(and(eq(activities.projectId, id), eq(activities.type, "environment.pause")))).map((a) => [a.environmentName, a.description]);
      await setAutoPauseDays(db(), admin, id, 0);
      await pauseIdleEnvironments(db());
      expect(await pauses()).toEqual([]);
      await setAutoPauseDays(db(), admin, id, 14);
      await pauseIdleEnvironments(db());
      expect(await pauses()).toEqual([["staging", "Pause staging: not deployed for 14 days"]]);
      await worker.idle();
      const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
      expect(staging!.pausedAt).not.toBeNull();
      // Already paused: not again.
      await pauseIdleEnvironments(db());
      expect(await pauses()).toHaveLength(1);
      const viewer = await makeUser(db());
      await addProjectMember(db(), admin, id, viewer.email, { role: "viewer", production: "viewer", staging: "viewer", development: "viewer" });
      await expect(setAutoPauseDays(db(), viewer, id, 1)).rejects.toMatchObject({ code: "forbidden" });
    });
  });
});
