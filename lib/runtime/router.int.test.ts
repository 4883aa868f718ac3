import fs from "node:fs";
import path from "node:path";
import { request as httpRequest } from "node:http";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { environments } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { startActivityWorker } from "@/lib/activity-runners";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { branchHead } from "@/lib/git/repository";
import { projectTemplate } from "@/lib/git/template";
import { commitOn } from "@/lib/testing-git";
import { environmentDeployDir } from "./deploy";
import { createEnvironmentRouter } from "./router";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

/** GET on the router with a Host header (fetch() may not set it), the body whole. */
function getFrom(port: number) {
  return (host: string, p = "/") =>
    new Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string>; bytes: number }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: p, headers: { host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: { get: (n) => (res.headers[n.toLowerCase()] as string | undefined) ?? null }, text: async () => body.toString("utf8"), bytes: body.length });
        });
      });
      req.on("error", reject);
      req.end();
    });
}

describeEachDatabase("the environment router", ({ db }) => {
  it("serves each environment's build by host and path, waits for a first deploy, and switches builds atomically", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("site");
    await createProject(db(), admin, { id, title: "Site", plan: "starter", region: "us-3" });
    const router: http.Server = createEnvironmentRouter(async () => db());
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
    const port = (router.address() as AddressInfo).port;
    const get = getFrom(port);
    const worker = startActivityWorker(db());
    try {
      // Before the first deploy finishes (the worker has not run yet): waiting.
      const waiting = await get(`staging.${id}.localhost:${port}`);
      if (waiting.status === 503) expect(await waiting.text()).toContain("Waiting for deployment");
      await worker.idle();

      const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
      const byHost = await get(`staging.${id}.localhost:${port}`);
      expect(byHost.status).toBe(200);
      expect(byHost.headers.get("content-type")).toContain("text/html");
      const page = await byHost.text();
      expect(page).toContain(staging!.deployedCommit!);
      expect(page).toContain("staging");
      const byPath = await get(`127.0.0.1:${port}`, `/${id}/staging/`);
      // The same page by path (its time and visit counter aside: PHP renders it at each request).
      const stable = (html: string) => html.replace(/ at [^<]+<\/p>/g, "").replace(/id="visits">\d+/, "").replace(/id="greeting-cache">\([^)]*\)/, "");
      expect(stable(await byPath.text())).toBe(stable(page));
      expect((await get(`www.staging.${id}.localhost:${port}`)).headers.get("location")).toBe(`http://staging.${id}.localhost:${port}/`);
      expect((await get(`127.0.0.1:${port}`, `/${id}/staging/../../../../etc/passwd`)).status).not.toBe(500);
      expect(await (await get(`127.0.0.1:${port}`, `/${id}/staging/%2e%2e/%2e%2e/.deploy-commit`)).text()).not.toBe(staging!.deployedCommit);
      expect((await get(`nope.${id}.localhost:${port}`)).status).toBe(404);

      // A new build is deployed while requests keep coming: each sees one whole build.
      const next = await commitOn(id, "master", { "templates/extra.txt": "x" }, "Another build");
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      const seen = new Set<string>();
      const deadline = Date.now() + 20_000;
      let done = false;
      const idle = worker.idle().then(() => (done = true));
      while (!done && Date.now() < deadline) {
        const body = await (await get(`staging.${id}.localhost:${port}`)).text();
        const commit = /<code id="commit">([0-9a-f]{40})<\/code>/.exec(body)?.[1];
        expect(commit, "every answer is a whole page with its commit").toBeTruthy();
        expect(body.trimEnd().endsWith("</html>")).toBe(true);
        seen.add(commit!);
      }
      await idle;
      expect([...seen].every((c) => c === staging!.deployedCommit || c === next)).toBe(true);
      expect(await (await get(`staging.${id}.localhost:${port}`)).text()).toContain(next);

      // Symlinks committed to the web root: nginx follows none (and the sandbox holds nothing of
      // the server's to follow to); an unknown path is the application's (passthru).
      const dataDir = process.env.DATA_DIR!;
      fs.writeFileSync(path.join(dataDir, "auth-secret"), "the-session-secret");
      await commitOn(id, "master", {
        "public/s.txt": { symlink: path.join(dataDir, "auth-secret") },
        "public/repos": { symlink: path.join(dataDir, "repos") },
        "public/up.txt": { symlink: "../.deploy-commit" },
        "public/page.txt": { symlink: "index.php" },
        "public/plain.txt": "plain",
      }, "Symlinks out of the site");
      await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      for (const p of ["/s.txt", "/repos/", `/repos/${id}.git/HEAD`, "/up.txt", "/page.txt"]) {
        const answer = await get(`staging.${id}.localhost:${port}`, p);
        const body = await answer.text();
        expect(body, p).not.toMatch(/the-session-secret|ref: refs|^[0-9a-f]{40}$|<\?php/);
        // Answered by PHP (the front controller) or refused, never the link's target.
        if (answer.status === 200) expect(body, p).toContain('id="php-version"');
      }
      const plain = await get(`staging.${id}.localhost:${port}`, "/plain.txt");
      expect([plain.status, await plain.text(), plain.headers.get("x-content-type-options")]).toEqual([200, "plain", "nosniff"]);
      const front = await get(`staging.${id}.localhost:${port}`, "/anything/else");
      expect([front.status, await front.text()]).toEqual([200, expect.stringContaining('Environment: <strong id="environment">staging</strong>')]);
    } finally {
      await worker.stop();
      router.close();
    }
  });

  it("deploys what a build leaves as it is (a pipe, a socket, a link loop, control characters, 10 MB) and serves only its regular files", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const id = uniqueProjectId("odd");
    await createProject(db(), admin, { id, title: "Odd", plan: "starter", region: "us-3" });
    const router: http.Server = createEnvironmentRouter(async () => db());
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", () => r()));
    const get = getFrom((router.address() as AddressInfo).port);
    const worker = startActivityWorker(db());
    try {
      await worker.idle();
      const odd = [
        "    mkfifo public/pipe",
        "    perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => 1, Local => \"public/sock\", Listen => 1) or die \"socket: $!\"'",
        "    ln -s loop public/loop",
        "    printf odd > \"public/$(printf 'a\\001b')\"",
        "    head -c 10485760 /dev/zero > public/big.bin",
      ].join("\n");
      const app = projectTemplate("Odd", [])[".magento.app.yaml"]!.replace("    date -u +%Y-%m-%dT%H:%M:%SZ > built-at.txt\n", (line) => `${line}${odd}\n`);
      expect(app).toContain("mkfifo");
      await commitOn(id, "master", { ".magento.app.yaml": app }, "A build that leaves odd files");
      const activity = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
      await worker.idle();
      const [staging] = await db().select().from(environments).where(and(eq(environments.projectId, id), eq(environments.name, "staging")));
      expect(staging!.deployedCommit, `sync ${activity.id} deployed the new commit`).toBe(await branchHead(id, "staging"));

      const deployed = fs.realpathSync(path.join(environmentDeployDir(id, "staging"), "current", "public"));
      const kind = (name: string) => {
        const st = fs.lstatSync(path.join(deployed, name));
        return st.isFIFO() ? "pipe" : st.isSocket() ? "socket" : st.isSymbolicLink() ? `link to ${fs.readlinkSync(path.join(deployed, name))}` : st.isFile() ? `file of ${st.size}` : "other";
      };
      expect(["pipe", "sock", "loop", "a\u0001b", "big.bin"].map(kind)).toEqual(["pipe", "socket", "link to loop", "file of 3", `file of ${10 * 1024 * 1024}`]);

      const host = `staging.${id}.localhost`;
      for (const p of ["/pipe", "/sock", "/loop"]) expect([200, 403, 404], p).toContain((await get(host, p)).status); // answered (by the front controller or refused), not held open on a pipe
      expect(await (await get(host, "/a%01b")).text()).toBe("odd");
      const big = await get(host, "/big.bin");
      expect([big.status, big.bytes]).toEqual([200, 10 * 1024 * 1024]);
    } finally {
      await worker.stop();
      router.close();
    }
  }, 90_000);
});
