import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { watchDisk, type DiskVerdict } from "./disk-watch";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-disk-watch-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the machine's free space, watched for every running environment", () => {
  it("is read once per turn for all watchers of a file system, moves on when a watcher's folder goes, and follows no link", async () => {
    const dirs = Array.from({ length: 50 }, (_, i) => path.join(work, `env-${i}`));
    for (const d of dirs) fs.mkdirSync(d);
    const statfs = vi.spyOn(fs, "statfs");
    const verdicts: DiskVerdict[] = [];
    // A floor above any disk: every reading is a verdict.
    const watches = dirs.map((d) => watchDisk({ dirs: [d], limitBytes: null, freeFloorBytes: Number.MAX_SAFE_INTEGER, onExceeded: (v) => verdicts.push(v) }));
    await expect.poll(() => verdicts.length, { timeout: 2000 }).toBe(50);
    expect(verdicts[0]).toMatchObject({ reason: "machine" });
    // One reading served all fifty (a hundred environments used to cost a hundred statfs every 100 ms).
    expect(statfs.mock.calls.length).toBeLessThanOrEqual(3);
    await Promise.all(watches.map((w) => w.stop()));

    // The folder the reading was taken from is removed: the others still hear readings.
    const [a, b] = [path.join(work, "a"), path.join(work, "b")];
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    const heard: string[] = [];
    const wa = watchDisk({ dirs: [a], limitBytes: null, freeFloorBytes: 0, onExceeded: () => heard.push("a") });
    const wb = watchDisk({ dirs: [b], limitBytes: null, freeFloorBytes: Number.MAX_SAFE_INTEGER, onExceeded: () => heard.push("b") });
    await wa.stop();
    fs.rmSync(a, { recursive: true });
    await expect.poll(() => heard, { timeout: 2000 }).toEqual(["b"]);
    await wb.stop();

    // A watcher whose only folder is a link (somewhere pushed code could point it) never reads through it.
    const link = path.join(work, "link");
    fs.symlinkSync("/", link);
    statfs.mockClear();
    const linked: DiskVerdict[] = [];
    const wl = watchDisk({ dirs: [link], limitBytes: null, freeFloorBytes: Number.MAX_SAFE_INTEGER, onExceeded: (v) => linked.push(v) });
    await wait(350);
    expect(linked).toEqual([]);
    expect(statfs.mock.calls.map((c) => c[0])).not.toContain(link);
    await wl.stop();
    statfs.mockRestore();
  });
});
