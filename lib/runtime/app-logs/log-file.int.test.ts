import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_LINE_BYTES } from "../log-sink";
import { AppLogFile, AppLogRefused } from "./log-file";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-app-log-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => {
  const dir = path.join(root, `env-${++n}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};
const read = (file: string) => fs.readFileSync(file, "utf8");
const gunzip = (file: string) => zlib.gunzipSync(fs.readFileSync(file)).toString("utf8");
const fixedClock = () => new Date("2026-12-06T07:40:00.123Z");

describe("AppLogFile", () => {
  it("puts the time before each line and marks stderr; access lines are written as given; a line is on disk within a moment", async () => {
    const dir = folder();
    const app = new AppLogFile(path.join(dir, "app.log"), { now: fixedClock });
    app.line("Started");
    app.line("PHP Warning: x\nsecond line\n", "stderr");
    const access = new AppLogFile(path.join(dir, "access.log"), { timestamps: false });
    access.line("2026-12-06T07:40:00.123Z GET /index.php 200 12ms 5120 203.0.113.7");
    // Written by the writer's own timer, without a flush: waits for the file, not for a fixed time.
    await expect.poll(() => fs.existsSync(path.join(dir, "app.log")) && read(path.join(dir, "app.log")), { timeout: 2000, interval: 5 }).toContain("second line");
    expect(read(path.join(dir, "app.log"))).toBe(
      "2026-12-06T07:40:00.123Z Started\n2026-12-06T07:40:00.123Z [stderr] PHP Warning: x\n2026-12-06T07:40:00.123Z [stderr] second line\n",
    );
    await access.close();
    expect(read(path.join(dir, "access.log"))).toBe("2026-12-06T07:40:00.123Z GET /index.php 200 12ms 5120 203.0.113.7\n");
    await app.close();
    app.line("after close");
    await app.flush();
    expect(read(path.join(dir, "app.log"))).not.toContain("after close");
  });

  it("rotates at the cap: .1.gz … .3.gz, the oldest beyond 3 dropped, no part over the cap, nothing lost between them", async () => {
    const dir = folder();
    const file = path.join(dir, "app.log");
    const log = new AppLogFile(file, { maxBytes: 10_000, timestamps: false });
    const total = 5_000; // 11 bytes a line: 55 kB, five and a half files' worth
    for (let i = 1; i <= total; i++) {
      log.line(`line ${String(i).padStart(5, "0")}`);
      if (i % 350 === 0) await log.flush(); // several batches, with compressions between them
    }
    await log.flush();
    await log.settled();
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(["app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"]);
    const parts = [gunzip(`${file}.3.gz`), gunzip(`${file}.2.gz`), gunzip(`${file}.1.gz`), read(file)];
    for (const p of parts.slice(0, 3)) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(10_000);
      expect(Buffer.byteLength(p)).toBeGreaterThan(10_000 - 11); // full: the next line did not fit
    }
    const lines = parts.join("").trimEnd().split("\n");
    const first = Number(lines[0]!.slice(5));
    expect(first).toBeGreaterThan(1); // older parts are gone
    expect(lines).toEqual(Array.from({ length: total - first + 1 }, (_, k) => `line ${String(first + k).padStart(5, "0")}`));
    await log.close();
  });

  it("a new writer compresses a part the last one left uncompressed, and continues the file", async () => {
    const dir = folder();
    const file = path.join(dir, "deploy.log");
    fs.writeFileSync(`${file}.1`, "left over\n");
    fs.writeFileSync(`${file}.1.gz`, zlib.gzipSync("older\n"));
    fs.writeFileSync(file, "before\n");
    const log = new AppLogFile(file, { timestamps: false });
    log.line("after");
    await log.flush();
    await log.settled();
    expect(fs.readdirSync(dir).sort()).toEqual(["deploy.log", "deploy.log.1.gz", "deploy.log.2.gz"]);
    expect(gunzip(`${file}.1.gz`)).toBe("left over\n");
    expect(gunzip(`${file}.2.gz`)).toBe("older\n");
    expect(read(file)).toBe("before\nafter\n");
    await log.close();
  });

  it("cuts a line over 16 kB with a marker", async () => {
    const file = path.join(folder(), "app.log");
    const log = new AppLogFile(file, { timestamps: false });
    log.line("y".repeat(100_000));
    log.line("next");
    await log.close();
    const [cut, next] = read(file).split("\n");
    expect(cut).toMatch(/^y+ … \[line cut: 100000 bytes\]$/);
    expect(Buffer.byteLength(cut!)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(next).toBe("next");
  });

  it("keeps its backlog bounded: lines beyond it are dropped and one line says how many", async () => {
    const file = path.join(folder(), "worker-q.log");
    const log = new AppLogFile(file, { maxBacklogBytes: 4_000, timestamps: false });
    // 1,000 lines of 40 bytes in one go: the disk has not taken any yet, so 100 fit.
    for (let i = 0; i < 1000; i++) log.line(`burst ${String(i).padStart(4, "0")} ${"x".repeat(28)}`);
    await log.flush();
    log.line("after the burst");
    await log.close();
    const lines = read(file).trimEnd().split("\n");
    const kept = lines.filter((l) => l.startsWith("burst "));
    expect(kept.length).toBeGreaterThan(50);
    expect(kept.length).toBeLessThan(1000);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `burst ${String(i).padStart(4, "0")} ${"x".repeat(28)}`));
    expect(lines.at(-2)).toBe(`[${1000 - kept.length} lines dropped: the log was written faster than the disk took it]`);
    expect(lines.at(-1)).toBe("after the burst");
  });

  describe("never follows a link", () => {
    const errors: Error[] = [];
    const plant = (target: string) => {
      const dir = folder();
      const file = path.join(dir, "app.log");
      fs.symlinkSync(target, file);
      return { dir, file, log: new AppLogFile(file, { onError: (e) => errors.push(e) }) };
    };

    it("a link planted at the log's path (to another environment's log, a file of the data folder, /etc/passwd, /) is refused, not written through", async () => {
      const other = path.join(folder(), "app.log");
      fs.writeFileSync(other, "another environment's log\n");
      const secret = path.join(root, "auth-secret");
      fs.writeFileSync(secret, "secret\n");
      for (const target of [other, secret, "/etc/passwd", "/"]) {
        errors.length = 0;
        const before = target === "/" ? null : fs.readFileSync(target, "utf8");
        const { file, log } = plant(target);
        log.line("must not land anywhere");
        await log.flush();
        expect(errors[0], target).toBeInstanceOf(AppLogRefused);
        expect(errors[0]!.message).toBe("app.log is a link: refused, never written through");
        expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
        if (before !== null) expect(fs.readFileSync(target, "utf8")).toBe(before);
        await log.close();
      }
    });

    it("a FIFO at the path is refused without blocking; once it is gone, the next lines say how many were lost", async () => {
      const dir = folder();
      const file = path.join(dir, "app.log");
      execFileSync("mkfifo", [file]);
      errors.length = 0;
      const log = new AppLogFile(file, { onError: (e) => errors.push(e), timestamps: false, reopenAfterMs: 0 });
      log.line("into a fifo?");
      await log.flush();
      expect(errors[0]).toBeInstanceOf(AppLogRefused);
      fs.rmSync(file);
      log.line("written");
      await log.close();
      expect(read(file)).toBe("[1 lines lost: app.log is not a regular file: refused]\nwritten\n");
    });

    it("a link planted at a rotated part is moved or removed, never written through", async () => {
      const dir = folder();
      const file = path.join(dir, "app.log");
      const outside = path.join(root, `outside-${n}`);
      fs.writeFileSync(outside, "outside\n");
      fs.symlinkSync(outside, `${file}.1.gz`);
      fs.symlinkSync(outside, `${file}.1.gz.tmp`);
      const log = new AppLogFile(file, { maxBytes: 200, timestamps: false });
      for (let i = 0; i < 30; i++) log.line(`line ${i} ${"z".repeat(20)}`);
      await log.flush();
      await log.settled();
      await log.close();
      expect(fs.readFileSync(outside, "utf8")).toBe("outside\n");
      expect(fs.existsSync(`${file}.1.gz.tmp`)).toBe(false);
      expect(fs.lstatSync(`${file}.1.gz`).isFile()).toBe(true);
    });
  });
});
