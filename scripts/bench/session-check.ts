// `npm run bench:session-check`: what checking the session against the database costs on
// each request. Embedded PGlite with 1,000 users and 20,000 sessions: the one indexed read
// (getSessionOwner) against the read it replaced (the user by id), then the same requests
// through a production server (GET /api/projects with a session cookie).
import fs from "node:fs";
import { eq } from "drizzle-orm";
import { openDatabase } from "@/db/client";
import { users } from "@/db/schema";
import { createUserSession, getSessionOwner } from "@/lib/auth/user-sessions";
import { startSignedIn } from "./support";
import { benchTempDir } from "./temp-dir";

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(3)} ms, p99 ${percentile(xs, 99).toFixed(3)} ms`;

async function databaseCheck() {
  const dir = benchTempDir("pwi-bench-sessions-");
  const database = await openDatabase({ dataDir: dir });
  await database.migrate();
  const db = database.db;
  const userIds: string[] = [];
  for (let i = 0; i < 1000; i += 100) {
    const rows = await db
      .insert(users)
      .values(Array.from({ length: 100 }, (_, j) => ({ email: `u${i + j}@example.com`, name: `User ${i + j}`, passwordHash: "x" })))
      .returning({ id: users.id });
    userIds.push(...rows.map((r) => r.id));
  }
  const sessionIds: string[] = [];
  for (let i = 0; i < 20_000; i++) sessionIds.push(await createUserSession(db, { userId: userIds[i % userIds.length]!, userAgent: "bench", clientAddress: "127.0.0.1", lifetimeMs: 7 * 24 * 3600 * 1000 }));
  const timeEach = async (n: number, fn: (i: number) => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn(i);
      times.push(performance.now() - t);
    }
    return times;
  };
  await timeEach(500, (i) => getSessionOwner(db, sessionIds[(i * 7919) % sessionIds.length]!)); // warm-up
  const session = await timeEach(5000, (i) => getSessionOwner(db, sessionIds[(i * 7919) % sessionIds.length]!));
  const userOnly = await timeEach(5000, (i) => db.select().from(users).where(eq(users.id, userIds[(i * 7919) % userIds.length]!)).limit(1));
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { session, userOnly };
}

async function httpCheck() {
  const { server, browser, page } = await startSignedIn();
  try {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) await page.request.get("/api/projects"); // warm-up
    for (let i = 0; i < 400; i++) {
      const t = performance.now();
      const res = await page.request.get("/api/projects");
      if (!res.ok()) throw new Error(`GET /api/projects answered ${res.status()}`);
      times.push(performance.now() - t);
    }
    return times;
  } finally {
    await browser.close();
    await server.stop();
  }
}

const { session, userOnly } = await databaseCheck();
console.log(`session check (session + user, 20,000 sessions): ${fmt(session)}`);
console.log(`user by id alone (the read it replaced):        ${fmt(userOnly)}`);
console.log(`extra per request: p50 ${(percentile(session, 50) - percentile(userOnly, 50)).toFixed(3)} ms`);
console.log(`GET /api/projects with a session cookie:         ${fmt(await httpCheck())}`);
process.exit(0);
