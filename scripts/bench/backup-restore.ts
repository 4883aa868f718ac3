// Benchmark (backups issue), in this process: the database, a worker and real releases of the PHP
// template, staging holding 1 GiB (100 files of 10 MiB in its var mount) and a safe snapshot of it.
//   restore   Restore into a new environment (its branch, the data, its deploy) ÷ Restore in
//             place (services stopped, the data, a redeploy), each activity's own duration, in
//             turns, medians (goal ≤ 1.3×)
//   download  the backup downloaded as the console streams it (manifest and data archive in one
//             tar) ÷ `cat` of the data archive to /dev/null, and this process's RSS meanwhile
//             (goal ≥ 0.8×, memory flat); BENCH_COLD=1 (root) drops the page cache before each read
//   import    the downloaded backup imported into another environment's list: the request's part
//             (every entry proved and written) and the whole (then archived by its activity)
// Run: npm run bench:backup-restore   (BENCH_ROUNDS=n, 2)
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { benchTempDir } from "./temp-dir";

const dataDir = benchTempDir("pwi-bench-backup-restore-");
process.env.DATA_DIR = dataDir;
process.env.PROJECT_TEMPLATE_SERVICES = "none";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MIB = 1024 * 1024;

const { resetEnvForTests } = await import("@/lib/env");
resetEnvForTests();
const { openDatabase } = await import("@/db/client");
const { startActivityWorker } = await import("@/lib/activity-runners");
const { activities, environments } = await import("@/db/schema");
const { createProject } = await import("@/lib/projects/create-project");
const { makeUser } = await import("@/lib/testing-fixtures");
const { getProjectAccess } = await import("@/lib/auth/project-access");
const { requestEnvironmentAction } = await import("@/lib/environments/request-action");
const { openSnapshotDownload, requestRestore, requestRestoreInto, requestSnapshot, snapshotDir } = await import("@/lib/snapshots/snapshots");
const { currentDataPath } = await import("@/lib/runtime/volumes");
const { importBackup } = await import("@/lib/snapshots/import-backup");

const database = await openDatabase({ dataDir });
await database.migrate();
const db = database.db;
const worker = startActivityWorker(db);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const activityMs = async (id: string) => {
  const [a] = await db.select().from(activities).where(eq(activities.id, id));
  if (a?.result !== "success") throw new Error(`${a?.description}: ${a?.result}`);
  return a.completedAt!.getTime() - a.startedAt!.getTime();
};
try {
  const admin = await makeUser(db, { isAdmin: true });
  const projectId = "bench-restore";
  await createProject(db, admin, { id: projectId, title: "Restore", plan: "pro", region: "us-3" });
  await worker.idle();
  // 1 GiB in staging's var mount.
  const mount = path.join(fs.realpathSync(currentDataPath(projectId, "staging")), "mounts", "var");
  const block = crypto.randomBytes(10 * MIB);
  for (let i = 0; i < 100; i++) {
    block.writeUInt32LE(i, 0);
    fs.writeFileSync(path.join(mount, `f${i}.bin`), block);
  }
  execFileSync("sync");
  const { snapshot } = await requestSnapshot(db, admin, projectId, "staging", { consistency: "consistent", replaceOldest: false });
  await worker.idle();

  const inPlace: number[] = [];
  const intoNew: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const a = await requestRestore(db, admin, projectId, snapshot.id, "staging");
    await worker.idle();
    inPlace.push(await activityMs(a.id));
    const name = `restored${round}`;
    const { activity } = await requestRestoreInto(db, admin, projectId, snapshot.id, { name, parent: "integration", code: true });
    await worker.idle();
    intoNew.push(await activityMs(activity.id));
    await requestEnvironmentAction(db, admin, projectId, name, { action: "deactivate", confirmation: name });
    await worker.idle();
    console.log(`round ${round}: in place ${(inPlace.at(-1)! / 1000).toFixed(2)} s, into a new environment ${(intoNew.at(-1)! / 1000).toFixed(2)} s`);
  }

  // Download ÷ cat.
  const archive = path.join(snapshotDir(projectId, snapshot.id), "data.tar");
  const bytes = fs.statSync(archive).size;
  const catMs: number[] = [];
  const downloadMs: number[] = [];
  let peakRss = 0;
  const rssBefore = process.memoryUsage().rss;
  const access = (await getProjectAccess(db, admin, projectId))!;
  const [env] = await db.select().from(environments).where(and(eq(environments.projectId, projectId), eq(environments.name, "staging")));
  // BENCH_COLD=1 (root): the page cache is dropped before each read, so both read the disk.
  const cold = process.env.BENCH_COLD === "1";
  const dropCaches = () => {
    if (!cold) return;
    execFileSync("sync");
    fs.writeFileSync("/proc/sys/vm/drop_caches", "3");
  };
  for (let round = 0; round < 3; round++) {
    dropCaches();
    let t = performance.now();
    execFileSync("sh", ["-c", `cat "$1" > /dev/null`, "sh", archive]);
    dropCaches();
    catMs.push(performance.now() - t);
    t = performance.now();
    const { body } = await openSnapshotDownload(db, access, env!, snapshot.id);
    let got = 0;
    const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) got += chunk.byteLength;
    clearInterval(sample);
    downloadMs.push(performance.now() - t);
    if (got < bytes) throw new Error(`the download gave ${got} bytes, less than the archive's ${bytes}`);
  }
  // Import: the downloaded backup uploaded into integration's list (the request proves and writes it; the activity archives it).
  const downloaded = path.join(dataDir, "downloaded.backup.tar");
  {
    const { body } = await openSnapshotDownload(db, access, env!, snapshot.id);
    const { Writable } = await import("node:stream");
    await (body as ReadableStream<Uint8Array>).pipeTo(Writable.toWeb(fs.createWriteStream(downloaded)));
  }
  const importMs: number[] = [];
  const importTotalMs: number[] = [];
  for (let round = 0; round < 2; round++) {
    const t = performance.now();
    const { Readable } = await import("node:stream");
    const { activity } = await importBackup(db, admin, projectId, "integration", Readable.toWeb(fs.createReadStream(downloaded, { highWaterMark: 1024 * 1024 })) as ReadableStream<Uint8Array>, { filename: "bench.backup.tar", replaceOldest: true, contentLength: fs.statSync(downloaded).size });
    importMs.push(performance.now() - t);
    await worker.idle();
    importTotalMs.push(performance.now() - t);
    await activityMs(activity.id);
  }
  const restoreRatio = median(intoNew) / median(inPlace);
  const speed = (ms: number) => (bytes / MIB / (ms / 1000)).toFixed(0);
  const downloadRatio = median(catMs) / median(downloadMs);
  console.log(`\nbench:backup-restore (1 GiB in 100 files; ${ROUNDS} rounds)`);
  console.log(`| Restore into a new environment ÷ in place | ${(median(intoNew) / 1000).toFixed(2)} s ÷ ${(median(inPlace) / 1000).toFixed(2)} s = ${restoreRatio.toFixed(2)}× | ≤ 1.3× | ${restoreRatio <= 1.3 ? "met" : "NOT MET"} |`);
  console.log(`| Download ÷ cat of the archive${cold ? " (both from the disk: page cache dropped)" : " (from the page cache)"} | ${speed(median(downloadMs))} ÷ ${speed(median(catMs))} MiB/s = ${downloadRatio.toFixed(2)}×; RSS ${((peakRss - rssBefore) / MIB).toFixed(0)} MiB above before | ≥ 0.8×, memory flat | ${downloadRatio >= 0.8 ? "met" : "NOT MET"} |`);
  console.log(`| Import of the 1 GiB backup: upload proved and written ÷ then archived (the backup complete) | ${importMs.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s; ${importTotalMs.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s (${speed(median(importMs))} MiB/s proved and written) | reported | reported |`);
} finally {
  await worker.stop();
  await database.close();
}
process.exit(0);
