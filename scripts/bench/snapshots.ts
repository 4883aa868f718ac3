// Benchmark (issue 5): snapshot and restore of an environment holding 1 GiB in 10,000
// files, against plain `tar` of the same data to the same disk; and Branch's data copy of
// the same environment (reflink or plain). Run: npm run bench:snapshots
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { resetEnvForTests } from "@/lib/env";
import { extractSnapshotArchive, writeSnapshotArchive } from "@/lib/runtime/snapshot-archive";
import { copyVolumes, currentDataPath, newGeneration, switchGeneration, volumesRoot } from "@/lib/runtime/volumes";
import { benchTempDir } from "./temp-dir";

const FILES = 10_000;
const TOTAL = 1024 * 1024 * 1024;
const dataDir = benchTempDir("pwi-bench-snap-");
process.env.DATA_DIR = dataDir;
resetEnvForTests();

const root = volumesRoot("bench", "staging");
const generation = newGeneration(root);
const per = Math.floor(TOTAL / FILES);
const block = crypto.randomBytes(per);
const t0 = performance.now();
for (let i = 0; i < FILES; i++) {
  const dir = path.join(generation, i % 2 ? "services/mysql" : "mounts/pub/media", `d${i % 100}`);
  fs.mkdirSync(dir, { recursive: true });
  block.writeUInt32LE(i, 0); // every file different
  fs.writeFileSync(path.join(dir, `f${i}.bin`), block);
}
switchGeneration(root, generation);
execFileSync("sync");
console.log(`data: ${FILES.toLocaleString("en-US")} files, ${(TOTAL / 2 ** 30).toFixed(2)} GiB, written in ${((performance.now() - t0) / 1000).toFixed(1)} s; disk: ${dataDir}`);

const live = fs.realpathSync(currentDataPath("bench", "staging"));
const time = (fn: () => void) => {
  const s = performance.now();
  fn();
  return performance.now() - s;
};
const timeAsync = async (fn: () => Promise<unknown>) => {
  const s = performance.now();
  await fn();
  return performance.now() - s;
};

// Each measurement starts after `sync` (no writeback of the previous one in its time), three
// rounds, medians: this machine's disk is noisy.
const sync = () => execFileSync("sync");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rounds = { tarSync: [] as number[], tar: [] as number[], snap: [] as number[], untar: [] as number[], restore: [] as number[], branch: [] as number[], cp: [] as number[] };
let method = "";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
for (let round = 0; round < ROUNDS; round++) {
  const tarFile = path.join(dataDir, "plain.tar");
  const snapDir = path.join(dataDir, "snapshot");
  const untarDir = path.join(dataDir, "untar");
  const restoreDir = path.join(dataDir, "restored");
  sync();
  rounds.tarSync.push(
    time(() => {
      execFileSync("tar", ["-cf", tarFile, "-C", live, "."]);
      sync(); // on disk, as a snapshot is before it is called complete
    }),
  );
  fs.rmSync(tarFile);
  sync();
  rounds.tar.push(time(() => execFileSync("tar", ["-cf", tarFile, "-C", live, "."])));
  sync();
  rounds.snap.push(
    await timeAsync(() =>
      writeSnapshotArchive({
        sourceDir: live,
        targetDir: snapDir,
        meta: { snapshotId: "bench", project: "bench", environment: "staging", deployedCommit: null, consistency: "consistent", createdAt: new Date().toISOString(), expiresAt: new Date().toISOString() },
      }),
    ),
  );
  fs.mkdirSync(untarDir);
  sync();
  rounds.untar.push(time(() => execFileSync("tar", ["-xf", tarFile, "-C", untarDir])));
  sync();
  rounds.restore.push(await timeAsync(() => extractSnapshotArchive({ snapshotDir: snapDir, targetDir: restoreDir })));
  sync();
  rounds.branch.push(
    await timeAsync(async () => {
      method = (await copyVolumes("bench", "staging", "child")).method;
    }),
  );
  sync();
  rounds.cp.push(time(() => execFileSync("cp", ["-a", `${live}/.`, path.join(dataDir, "cp-copy")])));
  for (const p of [tarFile, snapDir, untarDir, restoreDir, path.join(dataDir, "cp-copy"), volumesRoot("bench", "child")]) fs.rmSync(p, { recursive: true, force: true });
}
const tarMs = median(rounds.tar);
const snapMs = median(rounds.snap);
const untarMs = median(rounds.untar);
const restoreMs = median(rounds.restore);
const branchMs = median(rounds.branch);
const cpMs = median(rounds.cp);
const list = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(", ");
const tarSyncMs = median(rounds.tarSync);
console.log(`rounds (s): tar+sync ${list(rounds.tarSync)} | tar ${list(rounds.tar)} | snapshot ${list(rounds.snap)} | untar ${list(rounds.untar)} | restore ${list(rounds.restore)} | branch ${list(rounds.branch)} | cp ${list(rounds.cp)}`);
console.log(
  `snapshot (archive + sha256 of every file + fsync): ${(snapMs / 1000).toFixed(2)} s; tar -cf: ${(tarMs / 1000).toFixed(2)} s (speed ${(tarMs / snapMs).toFixed(2)}× tar's); tar -cf + sync: ${(tarSyncMs / 1000).toFixed(2)} s (speed ${(tarSyncMs / snapMs).toFixed(2)}×); goal ≥ 0.8× of tar -cf + sync`,
);
// Each round's own ratio too (its two runs side by side, so a slow spell of the disk weighs on both), and their median.
const ratios = (ours: number[], tars: number[]) => ours.map((ms, i) => tars[i]! / ms);
const perRound = (xs: number[]) => `${xs.map((x) => x.toFixed(2)).join(", ")}; median ${median(xs).toFixed(2)}×`;
console.log(`restore (verify every checksum + extract): ${(restoreMs / 1000).toFixed(2)} s; tar -xf: ${(untarMs / 1000).toFixed(2)} s; speed ${(untarMs / restoreMs).toFixed(2)}× tar's (goal ≥ 0.8×)`);
console.log(`per round: snapshot ÷ tar -cf + sync ${perRound(ratios(rounds.snap, rounds.tarSync))}; restore ÷ tar -xf ${perRound(ratios(rounds.restore, rounds.untar))}`);
console.log(`branch data copy: ${(branchMs / 1000).toFixed(2)} s (${method}); plain cp -a of the same data: ${(cpMs / 1000).toFixed(2)} s`);
fs.rmSync(dataDir, { recursive: true, force: true });
