import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { activities } from "@/db/schema";
import { describeEachDatabase } from "@/db/testing/databases";
import { getActivityLog } from "@/lib/activities/queue";
import { startActivityWorker, type Worker } from "@/lib/activity-runners";
import { requestEnvironmentAction } from "@/lib/environments/request-action";
import { repositoryPath } from "@/lib/git/repository";
import { createProject } from "@/lib/projects/create-project";
import { makeUser, uniqueProjectId, withoutTemplateServices } from "@/lib/testing-fixtures";
import { commitOn } from "@/lib/testing-git";
import { sandboxSupport } from "./sandbox";

// Not about services: this file's projects start from the template without them.
withoutTemplateServices();

// A repository written by an attacker: its hooks try every escape from the sandbox through a
// real deploy. Each attempt prints ESCAPED when it works and BLOCKED when it does not.
const support = sandboxSupport();
const suite = support.ok ? describeEachDatabase : (title: string) => it.skip(`${title} (SKIPPED: ${support.reason})`, () => {});

function hostileApp(dashboardPort: number, dataDir: string): string {
  // The attacker knows where DATA_DIR is (no variable names it; they may have read the docs).
  const attempts = `
    attempt() { if ( eval "$2" ) >/dev/null 2>&1; then echo "ESCAPED $1"; else echo "BLOCKED $1"; fi; }
    DATA='${dataDir}'
    attempt relationships-leak-data-dir "echo \"$MAGENTO_CLOUD_RELATIONSHIPS\" | base64 -d | grep -q \"$DATA\""
    attempt read-secret "cat $DATA/auth-secret"
    attempt read-database "ls $DATA/pglite || ls $DATA/db"
    attempt list-repositories "ls $DATA/repos"
    attempt write-other-repository "touch $DATA/repos/*.git/hooks/pwned"
    attempt server-environ "grep -qa PWI_HOSTILE_MARKER /proc/*/environ"
    attempt dashboard "exec 3<>/dev/tcp/127.0.0.1/${dashboardPort}"
    attempt write-usr "touch /usr/local/pwned"`;
  return `name: hostile
type: php:8.3
disk: 1024
relationships:
  database: "mysql:mysql"
mounts:
  "var": "shared:files/var"
web:
  locations:
    "/":
      root: "public"
hooks:
  build: |
${attempts}
    mkdir -p public && echo built > public/index.html
  deploy: |
${attempts}
    attempt write-app "touch /app/public/defaced.html"
    touch var/allowed && echo "WROTE var"
    (sleep 240 &)
    setsid sleep 600 &
    echo "deploy hook done"
`;
}

suite("a hostile repository's deploy", ({ db }) => {
  let worker: Worker;
  let dashboard: net.Server;
  let port: number;
  beforeAll(async () => {
    worker = startActivityWorker(db());
    process.env.PWI_HOSTILE_MARKER = "server-secret";
    dashboard = net.createServer((s) => s.end("HTTP/1.1 200 OK\r\n\r\nreached"));
    await new Promise<void>((r) => dashboard.listen(0, "127.0.0.1", r));
    port = (dashboard.address() as net.AddressInfo).port;
    fs.writeFileSync(path.join(process.env.DATA_DIR!, "auth-secret"), "secret");
  });
  afterAll(async () => {
    await worker.stop();
    dashboard.close();
    delete process.env.PWI_HOSTILE_MARKER;
  });

  it("runs its hooks without any escape, and ends as soon as its deploy hook does", async () => {
    const admin = await makeUser(db(), { isAdmin: true });
    const victim = uniqueProjectId("victim");
    await createProject(db(), admin, { id: victim, title: "Victim", plan: "starter", region: "us-3" });
    const id = uniqueProjectId("hostile");
    await createProject(db(), admin, { id, title: "Hostile", plan: "starter", region: "us-3" });
    await worker.idle();

    await commitOn(id, "master", { ".magento.app.yaml": hostileApp(port, process.env.DATA_DIR!), ".magento/services.yaml": "mysql:\n  type: mysql:10.6\n  disk: 512\n", ".magento/routes.yaml": '"http://{default}/":\n  type: upstream\n  upstream: "hostile:http"\n' }, "Hostile hooks");
    const t0 = Date.now();
    const activity = await requestEnvironmentAction(db(), admin, id, "staging", { action: "sync", code: true, data: false, rebase: false });
    await worker.idle();
    expect(Date.now() - t0).toBeLessThan(60_000); // not the 240 s its background process asks for
    const [done] = await db().select().from(activities).where(eq(activities.id, activity.id));
    const log = (await getActivityLog(db(), activity.id)).map((l) => l.text);
    expect(done?.result, log.join("\n")).toBe("success");
    expect(log.filter((l) => l.startsWith("ESCAPED"))).toEqual([]);
    for (const what of ["read-secret", "read-database", "list-repositories", "write-other-repository", "server-environ", "dashboard", "write-usr", "write-app"]) expect(log).toContain(`BLOCKED ${what}`);
    expect(log).toContain("BLOCKED relationships-leak-data-dir"); // no host path in the variables
    expect(log).toContain("WROTE var");
    expect(log).toContain("deploy hook done");
    expect(log.some((l) => l.startsWith("Hooks run sandboxed"))).toBe(true);
    expect(fs.existsSync(path.join(repositoryPath(victim), "hooks", "pwned"))).toBe(false);
  }, 90_000);
});
