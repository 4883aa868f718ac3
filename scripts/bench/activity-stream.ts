// Benchmark (issue 4): the activity stream's pages with 100,000 activities in one project
// (embedded database): the first page (running, pending and 20 recent), a page 2,500 pages
// deep by cursor, and a filtered first page. Run: npm run bench:activity-stream
import fs from "node:fs";
import { eq, sql } from "drizzle-orm";
import { environments } from "@/db/schema";
import { listActivityStream } from "@/lib/environments/activity-stream";
import { getProjectAccess } from "@/lib/auth/project-access";
import { benchProject } from "./bench-project";

const COUNT = 100_000;
const { dataDir, database, db, admin } = await benchProject("pwi-bench-stream-", "stream", "Stream");
const [staging] = await db.select().from(environments).where(eq(environments.name, "staging"));
const t0 = performance.now();
await db.execute(sql`
  insert into activities (id, project_id, environment_id, environment_name, type, state, result, description, created_by, created_at, started_at, completed_at)
  select gen_random_uuid()::text, 'stream', ${staging!.id}, 'staging',
    case when i % 4 = 0 then 'environment.push' else 'environment.redeploy' end,
    'complete', case when i % 10 = 0 then 'failure'::activity_result else 'success'::activity_result end,
    'Redeploy staging #' || i, ${admin.id},
    now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval + interval '2 seconds'
  from generate_series(1, ${COUNT}) as i`);
await db.execute(sql`insert into activity_environments (activity_id, environment_id) select id, environment_id from activities where project_id = 'stream' and environment_id is not null on conflict do nothing`);
await db.execute(sql`analyze`);
console.log(`inserted ${COUNT.toLocaleString("en-US")} activities in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const access = (await getProjectAccess(db, admin, "stream"))!;
async function time(label: string, fn: () => Promise<unknown>, runs = 20) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  console.log(`${label}: median ${times[Math.floor(runs / 2)]!.toFixed(1)} ms, p95 ${times[Math.floor(runs * 0.95)]!.toFixed(1)} ms`);
}
await time("first page", () => listActivityStream(db, access, {}));
let cursor: string | null = null;
for (let page = 0; page < 2_500; page++) cursor = (await listActivityStream(db, access, cursor ? { cursor } : {})).nextCursor;
await time("page 2,501 (by cursor)", () => listActivityStream(db, access, { cursor: cursor! }));
await time("first page, failures of type push", () => listActivityStream(db, access, { result: "failure", type: "environment.push" }));
await time("first page, one environment", () => listActivityStream(db, access, { environmentId: staging!.id }));
await database.close();
fs.rmSync(dataDir, { recursive: true, force: true });
