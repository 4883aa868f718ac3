import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { activeLogWatches, followLog } from "./follow-log";
import { AppLogFile } from "./log-file";
import type { LogRecord } from "./read-log";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-app-log-follow-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Follows `file` into `got` until `signal` aborts; resolves when the follower has ended. */
async function collect(file: string, got: LogRecord[], options: { from: number; signal: AbortSignal }) {
  for await (const batch of followLog(file, options)) got.push(...batch);
}

it("follows a log across rotations: every line once, in order, while the writer rotates it four times", async () => {
  const dir = path.join(root, "rotating");
  const file = path.join(dir, "app.log");
  fs.mkdirSync(dir);
  const log = new AppLogFile(file, { maxBytes: 4_000, timestamps: false });
  const stop = new AbortController();
  const got: LogRecord[] = [];
  const following = collect(file, got, { from: 0, signal: stop.signal }); // the file does not exist yet
  const total = 1_500; // ~16 kB: four rotations
  for (let i = 1; i <= total; i++) {
    log.line(`line ${i}`);
    // An application's pace: 2,000 lines a second (a file of the test's small cap lasts 0.2 s).
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
  }
  await log.flush();
  try {
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(total);
  } finally {
    stop.abort();
  }
  expect(got.map((r) => r.line)).toEqual(Array.from({ length: total }, (_, i) => `line ${i + 1}`));
  await log.settled();
  expect(fs.readdirSync(dir).sort()).toEqual(["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"]);
  // The offsets are the current file's: the last one is where the file ends now.
  expect(got.at(-1)!.offset).toBe(fs.statSync(file).size);
  await following;
  await log.close();
  expect(activeLogWatches()).toEqual({ folders: 0, followers: 0 });
});

it("resumes after an offset, wakes on the folder's watch, and lets its watch and file go when stopped", async () => {
  const dir = path.join(root, "resume");
  const file = path.join(dir, "error.log");
  const log = new AppLogFile(file, { timestamps: false });
  log.line("one");
  log.line("two");
  await log.flush();
  const afterOne = Buffer.byteLength("one\n");
  const stop = new AbortController();
  const got: LogRecord[] = [];
  // A poll far slower than the test's wait: a line delivered in time came through the watch.
  const following = (async () => {
    for await (const batch of followLog(file, { from: afterOne, signal: stop.signal, pollMs: 60_000 })) got.push(...batch);
  })();
  await expect.poll(() => got.map((r) => r.line)).toEqual(["two"]);
  expect(activeLogWatches()).toEqual({ folders: 1, followers: 1 });
  log.line("three");
  await expect.poll(() => got.map((r) => r.line), { timeout: 2000 }).toEqual(["two", "three"]);
  expect(got.map((r) => r.offset)).toEqual([8, 14]);
  stop.abort(); // while it waits for the next change
  await following;
  expect(activeLogWatches()).toEqual({ folders: 0, followers: 0 });
  await log.close();
});
