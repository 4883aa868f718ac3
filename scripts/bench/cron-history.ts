// Benchmark (issue 36): what a month of a cron every minute leaves behind. Master and Staging of
// one project each get 43,200 ended cron runs (`* * * * *` for 30 days) after their last deploy;
// the project page's reads (the overview: the tree, each environment's last activity and whether
// its last deploy failed; the activity stream, crons folded) are timed before and after, on the
// embedded database (with its statistics gathered, as the server does at start). Goal: within
// 1.2× of the same project without that history.
// Run: npm run bench:cron-history
import fs from "node:fs";
import { eq, sql } from "drizzle-orm";
import { environments } from "@/db/schema";
import { getProjectAccess } from "@/lib/auth/project-access";
import { listActivityStream } from "@/lib/environments/activity-stream";
import { getProjectOverview } from "@/lib/environments/overview";
import { benchProject } from "./bench-project";

const RUNS_PER_ENVIRONMENT = 30 * 24 * 60;
const { dataDir, database, db, admin } = await benchProject("pwi-bench-cron-history-", "crons", "Crons");
const access = (await getProjectAccess(db, admin, "crons"))!;
const envs = await db.select().from(environments).where(eq(environments.projectId, "crons"));

async function time(fn: () => Promise<unknown>, runs = 21): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}
const measure = async () => ({ overview: await time(() => getProjectOverview(db, access)), stream: await time(() => listActivityStream(db, access, {})) });

// Each environment's deploy a month ago, then a cron run every minute since.
for (const e of envs) {
  await db.execute(sql`
    insert into activities (id, project_id, environment_id, environment_name, type, state, result, description, created_at, started_at, completed_at)
    values (gen_random_uuid()::text, 'crons', ${e.id}, ${e.name}, 'environment.push', 'complete', 'failure', 'Push to ' || ${e.name},
      now() - interval '30 days 1 minute', now() - interval '30 days 1 minute', now() - interval '30 days')`);
}
await db.execute(sql`analyze`);
await measure(); // warmed up: the first runs compile what every later one reuses
const before = await measure();
const t0 = performance.now();
for (const e of envs) {
  await db.execute(sql`
    insert into activities (id, project_id, environment_id, environment_name, type, state, result, description, parameters, created_at, started_at, completed_at)
    select gen_random_uuid()::text, 'crons', ${e.id}, ${e.name}, 'environment.cron', 'complete', 'success'::activity_result,
      'Cron cronrun on ' || ${e.name}, '{"cron":"cronrun"}'::jsonb,
      now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval + interval '1 second'
    from generate_series(1, ${RUNS_PER_ENVIRONMENT}) as i`);
}
await db.execute(sql`analyze`);
console.log(`inserted ${(RUNS_PER_ENVIRONMENT * envs.length).toLocaleString("en-US")} cron runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const after = await measure();
// Still right: each environment's last deploy failed (a month of successful crons does not end that), and the stream shows the deploys, not the crons.
const overview = await getProjectOverview(db, access);
if (overview.environments.some((e) => !e.lastDeployFailure)) throw new Error("The overview lost the failed deploys behind the crons.");
if ((await listActivityStream(db, access, {})).recent.some((a) => a.type === "environment.cron")) throw new Error("The stream shows ended cron runs.");
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
console.log(`overview (median of 21): ${before.overview.toFixed(1)} ms without the month, ${after.overview.toFixed(1)} ms with it (${ratio(after.overview, before.overview)}×)`);
console.log(`activity stream, crons folded: ${before.stream.toFixed(1)} ms without, ${after.stream.toFixed(1)} ms with (${ratio(after.stream, before.stream)}×) (goal ≤ 1.2× each)`);
await database.close();
fs.rmSync(dataDir, { recursive: true, force: true });
