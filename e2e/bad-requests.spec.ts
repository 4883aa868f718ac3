import { expect, test } from "./support/test";
import { ADMIN_STATE } from "./support/accounts";

test.use({ storageState: ADMIN_STATE });

// Every route with a dynamic segment, each segment in turn replaced by a malformed %-escape.
const ROUTES = [
  "/projects/{project}",
  "/projects/{project}/access",
  "/projects/{project}/settings",
  "/projects/{project}/activities/{activity}",
  "/projects/{project}/environments/{environment}",
  "/projects/{project}/environments/{environment}/topology",
  "/projects/{project}/environments/{environment}/logs",
  "/api/projects/{project}/overview",
  "/api/projects/{project}/activities",
  "/api/projects/{project}/hierarchy",
  "/api/projects/{project}/environments",
  "/api/projects/{project}/environment-choices",
  "/api/projects/{project}/events",
  "/api/projects/{project}/activities/{activity}/log",
  "/api/projects/{project}/environments/{environment}/snapshots",
  "/api/projects/{project}/environments/{environment}/logs",
  "/api/projects/{project}/environments/{environment}/logs/{log}",
  "/api/auth/{auth}",
  "/invite/{token}",
  "/reset-password/{token}",
  "/git/{project}.git/info/refs",
  "/{anything}",
];
const VALID: Record<string, string> = { project: "no-such-project", activity: "00000000-0000-4000-8000-000000000000", environment: "staging", log: "app", auth: "session", token: "A".repeat(43), anything: "x" };
const MALFORMED = ["%E0%A4%A", "%ZZ", "%ff", "%"];

test("a malformed %-escape in any part of any address gets a clear 400 or the not-found page, never a 5xx", async ({ request }) => {
  const answers: string[] = [];
  for (const route of ROUTES) {
    for (const hole of route.match(/\{(\w+)\}/g) ?? []) {
      for (const bad of MALFORMED) {
        const url = route.replace(/\{(\w+)\}/g, (m, name: string) => (m === hole ? bad : VALID[name]!));
        const res = await request.get(url, { maxRedirects: 0 });
        answers.push(`${res.status()} ${url}`);
        expect(res.status(), url).toBeLessThan(500);
        if (url.startsWith("/api/") && !url.startsWith("/api/auth/")) expect(await res.json(), url).toMatchObject({ error: expect.stringContaining("malformed %-escape") });
      }
    }
  }
  expect(answers.length).toBeGreaterThan(50);
});

test("every dashboard answer forbids framing and sniffing, and an environment's site cannot frame the dashboard", async ({ page, request, baseURL }) => {
  for (const url of ["/projects", "/sign-in", "/api/health", "/projects/%ZZ"]) {
    const res = await request.get(url, { maxRedirects: 0 });
    const headers = res.headers();
    expect(headers["x-frame-options"], url).toBe("DENY");
    expect(headers["content-security-policy"], url).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"], url).toBe("nosniff");
    expect(headers["referrer-policy"], url).toBe("same-origin");
    expect(headers["content-security-policy"], url).toMatch(/script-src 'self' 'nonce-[0-9a-f]{32}' 'strict-dynamic'/);
    expect(headers["strict-transport-security"], url).toBeUndefined(); // served over http here
  }
  // Each page's scripts carry that answer's nonce, a new one every time.
  const [a, b] = [await request.get("/sign-in"), await request.get("/sign-in")];
  const nonceOf = (csp: string | undefined) => /'nonce-([0-9a-f]+)'/.exec(csp ?? "")?.[1];
  expect(nonceOf(a.headers()["content-security-policy"])).not.toBe(nonceOf(b.headers()["content-security-policy"]));
  expect(await a.text()).toContain(`nonce="${nonceOf(a.headers()["content-security-policy"])}"`);
  // A page on another origin (as an environment's site is) frames the dashboard's settings: Chromium refuses.
  const blocked: string[] = [];
  page.on("console", (m) => blocked.push(m.text()));
  await page.setContent(`<iframe id="f" src="${baseURL}/projects"></iframe>`);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  await expect.poll(() => blocked.some((t) => /frame-ancestors|X-Frame-Options|Refused to (display|frame)/i.test(t)) || frame?.url() === "chrome-error://chromewebdata/").toBe(true);
});

test("a server action sent from another site gets 403, and one over the body limit 413, each with a sentence", async ({ request, baseURL }) => {
  const action = { "next-action": "0123456789abcdef0123456789abcdef01234567", "content-type": "text/plain;charset=UTF-8" };
  const crossSite = await request.post("/projects", { headers: { ...action, origin: "http://evil.example" }, data: "[]", maxRedirects: 0 });
  expect(crossSite.status()).toBe(403);
  expect(await crossSite.text()).toContain("sent from another site");
  const big = await request.post("/projects", { headers: { ...action, origin: new URL(baseURL!).origin }, data: "x".repeat(2 * 1024 * 1024), maxRedirects: 0 });
  expect(big.status()).toBe(413);
  expect(await big.text()).toContain("more than 1 MiB; nothing was saved");
  // A body of unknown length (chunked) is refused before anything reads it.
  const chunked = await fetch(new URL("/projects", baseURL), {
    method: "POST",
    headers: { ...action, origin: new URL(baseURL!).origin },
    body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("x".repeat(3 * 1024 * 1024))), c.close()) }),
    duplex: "half",
  } as RequestInit);
  expect(chunked.status).toBe(411);
  expect(await chunked.text()).toContain("without a Content-Length; nothing was saved");
});
