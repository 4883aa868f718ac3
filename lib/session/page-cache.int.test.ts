import http from "node:http";
import zlib from "node:zlib";
import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listenToChannel, selectRows } from "@/db/client";
import { describeEachDatabase } from "@/db/testing/databases";
import { activities, cronStates, environments, users } from "@/db/schema";
import { createUserSession, revokeSession } from "@/lib/auth/user-sessions";
import { makeUser, starterProject } from "@/lib/testing-fixtures";
import { CLIENT_HTTPS_HEADER } from "./client-info";
import { DATA_CHANGES_CHANNEL, PAGE_CACHE_HEADER, PageCache } from "./page-cache";

const SECRET = "page-cache-test-secret-that-is-long-enough";
const COOKIE = "authjs.session-token";
const NONCE = "0123456789abcdef0123456789abcdef";

/** Waits until `check` holds: NOTIFY reaches a PostgreSQL listener a moment after the commit. */
async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describeEachDatabase("page cache", ({ db }) => {
  const cache = new PageCache();
  let stop: () => Promise<void>;
  let server: http.Server;
  let base: string;
  /** What the stand-in for Next.js answers next, and how many times it rendered. */
  let renders = 0;
  let answer: { status: number; headers: http.OutgoingHttpHeaders; body: string; delay?: Promise<void> } = { status: 200, headers: {}, body: "" };

  beforeAll(async () => {
    stop = await cache.start({ db: db(), secret: SECRET });
    server = http.createServer((req, res) => {
      req.headers[CLIENT_HTTPS_HEADER] = "0";
      void cache.handle(req, res, async () => {
        renders++;
        const { status, headers, body, delay } = answer;
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value!);
        res.statusCode = status;
        if (headers["content-encoding"] === "gzip") return void res.end(zlib.gzipSync(body)); // as Next.js compresses
        res.write(body.slice(0, 5)); // streamed, as React streams a page
        await delay;
        res.end(body.slice(5));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await stop();
    await new Promise((r) => server.close(r));
  });

  const html = (body: string, extra: http.OutgoingHttpHeaders = {}) => {
    answer = { status: 200, headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": `script-src 'nonce-${NONCE}'`, ...extra }, body };
  };
  const signedIn = async () => {
    const user = await makeUser(db());
    const sid = await createUserSession(db(), { userId: user.id, userAgent: "test", clientAddress: "", lifetimeMs: 3600_000 });
    const token = await encode({ token: { sub: user.id, sid }, secret: SECRET, salt: COOKIE, maxAge: 3600 });
    return { user, sid, cookie: `${COOKIE}=${token}` };
  };
  const get = async (path: string, cookie: string) => {
    const res = await fetch(base + path, { headers: { cookie } });
    return { status: res.status, cache: res.headers.get(PAGE_CACHE_HEADER), csp: res.headers.get("content-security-policy"), body: await res.text() };
  };

  /**
   * Asks for `path` until the cache answers it, and returns that answer. The NOTIFY of the test's
   * own setup (a new user, a session) can reach a PostgreSQL listener after the first render and
   * drop it: the page is kept once a render outlives those.
   */
  const kept = async (path: string, cookie: string) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const res = await get(path, cookie);
      if (res.cache === "hit") return res;
      await until(() => cache.size > 0, "the page to be kept").catch(() => undefined);
    }
    throw new Error(`${path} was never answered from the cache`);
  };

  it("keeps a project page per session and answers it again without rendering, under a fresh nonce each time", async () => {
    const { cookie } = await signedIn();
    const page = `<html><script nonce="${NONCE}">first render</script></html>`;
    html(page);
    const before = renders;
    expect(await get("/projects/demo", cookie)).toMatchObject({ cache: "miss", body: page });
    html("<html>second render</html>");
    const [a, b] = [await get("/projects/demo", cookie), await get("/projects/demo", cookie)];
    expect(renders - before).toBe(1);
    const nonces = [a, b].map((r) => /'nonce-([0-9a-f]{32})'/.exec(r.csp ?? "")?.[1]);
    expect(new Set([NONCE, ...nonces]).size).toBe(3);
    expect(a).toEqual({ status: 200, cache: "hit", csp: `script-src 'nonce-${nonces[0]}'`, body: page.replace(NONCE, nonces[0]!) });
    expect(b.body).toBe(page.replace(NONCE, nonces[1]!));
    // Another address is another page.
    expect(await get("/projects/demo?deleted=x", cookie)).toMatchObject({ cache: "miss", body: "<html>second render</html>" });
  });

  it("keeps a compressed render as the page itself, and compresses it for those who take gzip", async () => {
    const { cookie } = await signedIn();
    html(`<html nonce="${NONCE}">${"compressed ".repeat(100)}</html>`, { "content-encoding": "gzip" });
    await get("/projects/gz", cookie);
    await until(() => cache.size > 0, "the page to be kept");
    const gzipped = await fetch(`${base}/projects/gz`, { headers: { cookie, "accept-encoding": "gzip" } });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    expect(await gzipped.text()).toMatch(/^<html nonce="[0-9a-f]{32}">compressed /);
    const plain = await new Promise<{ encoding?: string; body: string }>((resolve, reject) => {
      http.get(`${base}/projects/gz`, { headers: { cookie, "accept-encoding": "identity" } }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve({ encoding: res.headers["content-encoding"], body }));
      }).on("error", reject);
    });
    expect(plain.encoding).toBeUndefined();
    expect(plain.body).toMatch(/^<html nonce="[0-9a-f]{32}">compressed /);
  });

  it("renders again after any committed change, and keeps no render that a change overtook", async () => {
    const { cookie, user } = await signedIn();
    html("<html>before</html>");
    await kept("/projects", cookie);
    await db().update(users).set({ name: "Renamed" }).where(sql`${users.id} = ${user.id}`);
    await until(() => cache.size === 0, "the change to drop the kept pages");
    html("<html>after</html>");
    expect(await get("/projects", cookie)).toMatchObject({ cache: "miss", body: "<html>after</html>" });
    expect((await get("/projects", cookie)).body).toBe("<html>after</html>");

    // A render that was under way when a change committed is answered but not kept.
    let release!: () => void;
    html("<html>old data</html>");
    answer.delay = new Promise<void>((r) => (release = r));
    const started = renders;
    const slow = get("/projects/other", cookie);
    await until(() => renders > started, "the render to start");
    await db().update(users).set({ name: "Renamed again" }).where(sql`${users.id} = ${user.id}`);
    await until(() => cache.size === 0, "the change to be heard");
    release();
    expect((await slow).body).toBe("<html>old data</html>");
    html("<html>new data</html>");
    expect(await get("/projects/other", cookie)).toMatchObject({ cache: "miss", body: "<html>new data</html>" });
  });

  it("checks the session on every hit: a revoked session is rendered (and so redirected) by Next.js", async () => {
    const { cookie, sid } = await signedIn();
    html("<html>private</html>");
    await kept("/projects", cookie);
    await revokeSession(db(), sid);
    await until(() => cache.size === 0, "the revocation to be heard");
    answer = { status: 307, headers: { location: "/sign-in" }, body: "" };
    const res = await fetch(base + "/projects", { headers: { cookie }, redirect: "manual" });
    expect(res.status).toBe(307);
    expect(res.headers.get(PAGE_CACHE_HEADER)).toBeNull();
  });

  it("hostile: a forged, foreign or missing cookie never reaches another session's page", async () => {
    const owner = await signedIn();
    html("<html>owner's page</html>");
    await kept("/projects", owner.cookie);
    html("<html>rendered for the caller</html>");
    // Signed with another secret, unsigned garbage, a session id that is not theirs, no cookie at all.
    const forged = await encode({ token: { sub: owner.user.id, sid: owner.sid }, secret: "another-secret-of-enough-length-here", salt: COOKIE, maxAge: 3600 });
    const other = await signedIn();
    const stolenSid = await encode({ token: { sub: other.user.id, sid: owner.sid }, secret: SECRET, salt: COOKIE, maxAge: 3600 });
    for (const cookie of [`${COOKIE}=${forged}`, `${COOKIE}=garbage`, `${COOKIE}=${stolenSid}`, ""]) {
      expect(await get("/projects", cookie)).toMatchObject({ cache: null, body: "<html>rendered for the caller</html>" });
    }
    // Another user's own session has its own page.
    expect(await get("/projects", other.cookie)).toMatchObject({ cache: "miss", body: "<html>rendered for the caller</html>" });
  });

  it("keeps only whole 200 HTML pages without cookies, of the listed addresses", async () => {
    const { cookie } = await signedIn();
    for (const headers of [{ "set-cookie": "a=b" }, { "content-type": "application/json" }]) {
      html("<html>x</html>", headers);
      await get("/projects/setcookie", cookie);
      expect((await get("/projects/setcookie", cookie)).cache).toBe("miss");
    }
    html("<html>x</html>");
    answer.status = 404;
    await get("/projects/missing", cookie);
    expect((await get("/projects/missing", cookie)).cache).toBe("miss");
    answer.status = 200;
    for (const path of ["/projects/demo/environments/master", "/api/projects", "/projects/demo/activities/1"]) {
      await get(path, cookie);
      expect((await get(path, cookie)).cache).toBeNull();
    }
  });

  it("a change of one project drops that project's page and the project list, not another project's page", async () => {
    const { cookie } = await signedIn();
    html("<html>kept</html>");
    for (const path of ["/projects/alpha", "/projects/beta", "/projects"]) await kept(path, cookie);
    cache.changed("p:alpha,gamma");
    html("<html>rendered</html>");
    expect((await get("/projects/beta", cookie)).cache).toBe("hit");
    expect((await get("/projects/alpha", cookie)).cache).toBe("miss");
    expect((await get("/projects", cookie)).cache).toBe("miss");
    // A render of alpha under way when alpha changes is answered but not kept; one of beta is kept.
    let release!: () => void;
    answer.delay = new Promise<void>((r) => (release = r));
    const started = renders;
    const slow = [get("/projects/alpha?slow", cookie), get("/projects/beta?slow", cookie)];
    await until(() => renders >= started + 2, "both renders to start");
    cache.changed("p:alpha");
    release();
    await Promise.all(slow);
    answer.delay = undefined;
    expect((await get("/projects/alpha?slow", cookie)).cache).toBe("miss");
    await until(() => cache.size >= 3, "beta's page to be kept");
    expect((await get("/projects/beta?slow", cookie)).cache).toBe("hit");
    // Anything else (no project named) drops everything.
    cache.changed("");
    expect(cache.size).toBe(0);
  });

  it("asks Next.js once for a page that many ask for at the same time", async () => {
    const { cookie } = await signedIn();
    html("<html>once</html>");
    await kept("/projects/warm", cookie); // the session is checked and known, its NOTIFYs heard
    let release!: () => void;
    answer.delay = new Promise<void>((r) => (release = r));
    const before = renders;
    const asked = Array.from({ length: 10 }, () => get("/projects/crowd", cookie));
    await until(() => renders > before, "the render to start");
    await new Promise((r) => setTimeout(r, 50));
    release();
    const answers = await Promise.all(asked);
    answer.delay = undefined;
    expect(renders - before).toBe(1);
    expect(answers.map((a) => a.body)).toEqual(Array(10).fill("<html>once</html>"));
    expect(answers.filter((a) => a.cache === "hit")).toHaveLength(9);
  });

  it("the database names the project of each change of its environments, activities and deployments, and nothing for other tables", async () => {
    const heard: string[] = [];
    const unlisten = await listenToChannel(db(), DATA_CHANGES_CHANNEL, (payload) => heard.push(payload));
    try {
      const { id } = await starterProject(db(), "announce");
      await until(() => heard.length > 0, "the project's creation");
      heard.length = 0;
      await db().update(environments).set({ title: "Renamed" }).where(eq(environments.projectId, id));
      await until(() => heard.includes(`p:${id}`), "the environments' change");
      heard.length = 0;
      await db().update(activities).set({ priority: 1 }).where(eq(activities.projectId, id));
      await until(() => heard.includes(`p:${id}`), "the activities' change");
      await db().update(environments).set({ title: "None" }).where(eq(environments.projectId, "no-such-project"));
      // What no kept page shows is not announced: an activity's dispatch and heartbeat, a cron's last run (its alert is).
      const [staging] = await db().select().from(environments).where(eq(environments.projectId, id)).limit(1);
      heard.length = 0;
      await db().insert(cronStates).values({ environmentId: staging!.id, cron: "tick", failuresInRow: 0 });
      await until(() => heard.includes(`p:${id}`), "the cron state's insert");
      heard.length = 0;
      await db().update(activities).set({ heartbeatAt: new Date(), jobId: "j", dispatchedAt: new Date(), workerId: "w" }).where(eq(activities.projectId, id));
      await db().update(cronStates).set({ lastResult: "success", lastStartedAt: new Date(), lastDurationMs: 5 }).where(eq(cronStates.environmentId, staging!.id));
      await db().update(users).set({ name: "x" }).where(sql`false`);
      await until(() => heard.length > 0, "the users' statement");
      expect(heard).toEqual([""]);
      heard.length = 0;
      await db().update(cronStates).set({ failuresInRow: 3 }).where(eq(cronStates.environmentId, staging!.id));
      await until(() => heard.includes(`p:${id}`), "the cron's alert");
      heard.length = 0;
      await db().update(activities).set({ heartbeatAt: new Date(), state: "cancelled" }).where(eq(activities.projectId, id));
      await until(() => heard.includes(`p:${id}`), "the activities' state");
    } finally {
      await unlisten();
    }
  });

  it("one rule decides what a change announces: its projects, everything when one is unknown or more than 50 changed, nothing when no row did", async () => {
    const payload = async (ids: (string | null)[]) =>
      (await selectRows<{ p: string | null }>(db(), sql`select project_change_payload(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))) as p`))[0]!.p;
    expect(await payload(["b", "a", "b"])).toMatch(/^p:(a,b|b,a)$/);
    expect(await payload(["a", null])).toBe("");
    expect(await payload(Array.from({ length: 51 }, (_, i) => `p${i}`))).toBe("");
    expect(await payload(Array.from({ length: 50 }, (_, i) => `p${i}`))).toMatch(/^p:/);
    expect(await payload([])).toBeNull();
  });

  it("every table a page reads announces its changes (a new table must be added to the trigger or to the list of exceptions)", async () => {
    const tables = await selectRows<{ tablename: string; announced: boolean }>(
      db(),
      sql`select t.tablename, exists (select 1 from pg_trigger g join pg_class c on c.oid = g.tgrelid where c.relname = t.tablename and g.tgname = 'announce_data_change') as announced
          from pg_tables t where t.schemaname = current_schema()`,
    );
    const silent = tables.filter((t) => !t.announced).map((t) => t.tablename).sort();
    // (service_credentials: no page reads them; deploys do. cron_runs: the scheduler's own record; pages read cron_states.)
    expect(silent).toEqual(["activity_log_chunks", "cron_runs", "service_credentials", "sign_in_attempts"]);
    expect(tables.length).toBeGreaterThan(10);
  });
});
