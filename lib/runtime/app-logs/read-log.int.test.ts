import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { AppLogRefused } from "./log-file";
import { listAppLogFiles, readLinesFrom, tailLines } from "./read-log";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-app-log-read-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const lineOf = (i: number) => `2026-12-06T07:40:00.123Z request ${i} GET /catalog/product/view/id/${i} 200`;

it("tails a 200,000-line file from its end: the last N lines with the offset after each, never a line still being written", async () => {
  const file = path.join(root, "access.log");
  const lines = Array.from({ length: 200_000 }, (_, i) => lineOf(i + 1));
  fs.writeFileSync(file, `${lines.join("\n")}\npartial line still being writ`);
  const size = fs.statSync(file).size;

  const tail = await tailLines(file, 100_000);
  expect(tail.lines).toHaveLength(100_000);
  expect(tail.lines[0]!.line).toBe(lineOf(100_001));
  expect(tail.lines.at(-1)!.line).toBe(lineOf(200_000));
  expect(tail.end).toBe(size - "partial line still being writ".length);
  expect(tail.lines.at(-1)!.offset).toBe(tail.end);
  // Each offset is just after its line: reading from one gives the next line.
  const from = tail.lines[41_999]!.offset;
  expect((await readLinesFrom(file, from, 2)).lines.map((l) => l.line)).toEqual([lineOf(142_001), lineOf(142_002)]);

  expect((await tailLines(file, 3)).lines.map((l) => l.line)).toEqual([lineOf(199_998), lineOf(199_999), lineOf(200_000)]);
  expect((await tailLines(file, 300_000)).lines).toHaveLength(200_000);
  expect((await tailLines(file, 0)).lines).toEqual([]);
  // Memory is bounded by bytes as well as lines: past maxBytes, fewer (whole) lines.
  const bounded = await tailLines(file, 100_000, { maxBytes: 100_000 });
  expect(bounded.lines.length).toBeLessThan(2000);
  expect(bounded.lines.length).toBeGreaterThan(1000);
  expect(bounded.lines[0]!.line).toMatch(/^2026-12-06T07:40:00\.123Z request \d+ GET/);
  expect(bounded.lines.at(-1)!.line).toBe(lineOf(200_000));
});

it("reads no lines of a missing file, and refuses a link or a FIFO at the path", async () => {
  expect(await tailLines(path.join(root, "none.log"), 10)).toEqual({ lines: [], end: 0, inode: null });
  const link = path.join(root, "link.log");
  fs.symlinkSync("/etc/passwd", link);
  await expect(tailLines(link, 10)).rejects.toBeInstanceOf(AppLogRefused);
  await expect(readLinesFrom(link, 0)).rejects.toBeInstanceOf(AppLogRefused);
});

it("lists the logs of a folder with their parts; links and strangers are not logs", async () => {
  const dir = path.join(root, "env");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "app.log"), "12345\n");
  fs.writeFileSync(path.join(dir, "app.log.1.gz"), "");
  fs.writeFileSync(path.join(dir, "app.log.2.gz"), "");
  fs.writeFileSync(path.join(dir, "worker-queue.log"), "1\n");
  fs.writeFileSync(path.join(dir, "deploy.log.1.gz"), ""); // rotated, its current file not begun yet
  fs.writeFileSync(path.join(dir, "notes.txt"), "");
  fs.writeFileSync(path.join(dir, "worker-Bad.log"), "");
  fs.symlinkSync("/etc/passwd", path.join(dir, "error.log"));
  const logs = await listAppLogFiles(dir);
  expect(logs.map(({ name, bytes, parts }) => ({ name, bytes, parts }))).toEqual([
    { name: "app", bytes: 6, parts: 2 },
    { name: "worker-queue", bytes: 2, parts: 0 },
    { name: "deploy", bytes: 0, parts: 1 },
  ]);
  expect(logs[0]!.modifiedAt).toBeInstanceOf(Date);
  expect(await listAppLogFiles(path.join(root, "no-such-env"))).toEqual([]);
});
