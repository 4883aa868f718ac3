import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { expect, test } from "./support/test";
import { freePort, launchServer, makeDataDir, serverEnv, startServer, type TestServer } from "./support/server";

// A server is either serving or gone (issue 32): a start that cannot serve exits non-zero with
// a sentence, and a start that overlaps the last one's stop waits for it instead of failing.

/** Whether anything answers /api/health on `port` with 200. */
const healthy = (port: number) => fetch(`http://localhost:${port}/api/health`).then((r) => r.ok, () => false);

// First in the file: it starts beside idle.spec.ts's quiet minute (playwright.config.ts).
test("stop and start again at once, 20 times in a row, then after kill -9", async () => {
  test.setTimeout(600_000);
  const dataDir = makeDataDir();
  let server: TestServer = await startServer({ dataDir, env: { SEED_DEMO: "0" } });
  const old: TestServer[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      // SIGTERM and, without waiting for it to end, the next start on the same data.
      process.kill(server.pid, "SIGTERM");
      old.push(server);
      server = await startServer({ dataDir, env: { SEED_DEMO: "0" } });
      expect(await healthy(server.port)).toBe(true);
    }
    process.kill(server.pid, "SIGKILL");
    old.push(server);
    server = await startServer({ dataDir, env: { SEED_DEMO: "0" } });
    expect(await healthy(server.port)).toBe(true);
  } finally {
    await server.stop();
    for (const s of old) await s.stop();
  }
});

test("a second server on the same DATA_DIR exits non-zero with a sentence; the first keeps serving", async () => {
  test.setTimeout(120_000);
  const first = await startServer({ env: { SEED_DEMO: "0" } });
  try {
    const port = await freePort();
    const second = launchServer(serverEnv({ dataDir: first.dataDir, port, envPort: await freePort(), env: { SEED_DEMO: "0" } }));
    let answered = false;
    const watching = (async () => {
      while (second.child.exitCode === null) {
        if (await healthy(port)) answered = true;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const code = await second.exited;
    await watching;
    expect(code, second.output()).not.toBe(0);
    expect(second.output()).toContain(`is in use by process ${first.pid}`);
    expect(second.output()).toContain("Stop that process, use another DATA_DIR, or set DATABASE_URL");
    expect(answered).toBe(false); // /api/health never answered while it could not serve
    expect(await healthy(first.port)).toBe(true);
  } finally {
    await first.stop();
  }
});

test("a taken port and a bad setting: the start exits non-zero with a sentence saying what to change", async () => {
  test.setTimeout(120_000);
  const port = await freePort();
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(port, r));
  const dataDir = makeDataDir();
  try {
    const taken = launchServer(serverEnv({ dataDir, port, envPort: await freePort(), env: { SEED_DEMO: "0" } }));
    expect(await taken.exited, taken.output()).toBe(1);
    expect(taken.output()).toContain(`[startup] The dashboard cannot start: port ${port} is in use by another program. Stop it, or set PORT to a free port.`);
    const bad = launchServer(serverEnv({ dataDir, port: await freePort(), envPort: await freePort(), env: { SEED_DEMO: "0", HOOK_SANDBOX: "sometimes" } }));
    expect(await bad.exited, bad.output()).toBe(1);
    expect(bad.output()).toMatch(/\[startup\] The dashboard cannot start: Invalid configuration:\s+HOOK_SANDBOX: .*"auto"\|"required"/);
  } finally {
    squatter.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("SIGTERM stops the worker, closes the database and releases its lock before the process exits", async () => {
  test.setTimeout(120_000);
  const server = await startServer({ env: { SEED_DEMO: "0" } });
  const lock = `${server.dataDir}/pglite.lock`;
  expect(fs.existsSync(lock)).toBe(true);
  const t0 = Date.now();
  process.kill(server.pid, "SIGTERM");
  await server.stop(); // waits for the exit (SIGKILL only after 10 s)
  expect(Date.now() - t0).toBeLessThan(9_000);
  expect(server.output()).toContain("[shutdown] SIGTERM: stopping the worker and closing the database");
  expect(server.output()).not.toContain("Still stopping after");
  expect(fs.existsSync(lock)).toBe(false);
});

test("environments' applications stop with the server, nothing of them outlives it, and a restart starts again what ran", async () => {
  test.setTimeout(180_000);
  const dataDir = makeDataDir();
  const env = { SEED_DEMO: "1", ADMIN_EMAIL: "runtime@example.com", ADMIN_PASSWORD: "a long password for the runtime" };
  const siteOf = async (server: TestServer) => {
    try {
      const res = await fetch(`http://localhost:${server.envPort}/demo-store/staging/health`);
      return res.ok ? ((await res.json()) as { status: string; php: string }) : null;
    } catch {
      return null;
    }
  };
  const processesOf = () => {
    try {
      return execFileSync("pgrep", ["-f", `${dataDir}/deploys/`], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };
  let server = await startServer({ dataDir, env });
  try {
    // The demo project's staging runs PHP behind nginx once its first deploy is done.
    await expect.poll(() => siteOf(server), { timeout: 120_000, intervals: [500] }).toMatchObject({ status: "ok", php: expect.stringMatching(/^\d+\.\d+/) });
    expect(processesOf().length).toBeGreaterThan(0);
    await server.stop();
    expect(processesOf()).toEqual([]);
    // Started again on the same data: what ran runs again, with no deploy.
    server = await startServer({ dataDir, env });
    await expect.poll(() => siteOf(server), { timeout: 30_000, intervals: [200] }).toMatchObject({ status: "ok" });
    expect(server.output()).toMatch(/Started \d+ environments?' applications again/);
  } finally {
    await server.stop();
  }
});
