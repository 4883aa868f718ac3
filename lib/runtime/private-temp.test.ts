import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { privateTempDir, sweepPrivateTemp } from "./private-temp";
import { processStartTime } from "./supervisor/process-tree";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-private-temp-test-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A process id that no longer runs: a child that has ended. */
function deadPid(): number {
  const r = spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

describe("the process's private temporary folder", () => {
  it("is one 0700 folder per process, made again when a cleaner removed it", () => {
    const a = privateTempDir("one");
    const b = privateTempDir("two");
    expect(path.dirname(a)).toBe(path.dirname(b));
    expect(path.basename(path.dirname(a))).toMatch(new RegExp(`^pwi-proc-${process.pid}-\\d+-`));
    expect(fs.statSync(path.dirname(a)).mode & 0o777).toBe(0o700);
    fs.rmSync(path.dirname(a), { recursive: true });
    const again = privateTempDir("one");
    expect(fs.existsSync(again)).toBe(true);
    // A folder of that name that is not its own 0700 one (made by someone else after a cleaner) is not used.
    fs.rmSync(path.dirname(again), { recursive: true });
    const planted = path.dirname(again);
    fs.mkdirSync(planted);
    fs.chmodSync(planted, 0o755);
    const fresh = privateTempDir("one");
    expect(path.dirname(fresh)).not.toBe(planted);
    expect(fs.statSync(path.dirname(fresh)).mode & 0o777).toBe(0o700);
    fs.rmSync(planted, { recursive: true });
  });

  it("sweeps the folders of processes that are gone, keeps live ones', follows no link", () => {
    const live = path.join(work, `pwi-proc-${process.pid}-${processStartTime(process.pid)}-abcdef`);
    const dead = path.join(work, `pwi-proc-${deadPid()}-123-abcdef`);
    // This process's id with another start time: a process that had this id before (ids are reused).
    const reused = path.join(work, `pwi-proc-${process.pid}-1-abcdef`);
    const target = path.join(work, "elsewhere");
    const link = path.join(work, `pwi-proc-${deadPid()}-7-zzzzzz`);
    const other = path.join(work, "pwi-seccomp-abcdef");
    for (const dir of [live, dead, reused, target, other]) fs.mkdirSync(path.join(dir, "sub"), { recursive: true });
    fs.writeFileSync(path.join(target, "keep"), "x");
    fs.symlinkSync(target, link);
    // A link inside a swept folder is removed, not followed.
    fs.symlinkSync(target, path.join(dead, "sub", "to-elsewhere"));

    expect(sweepPrivateTemp(work)).toBe(2);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(reused)).toBe(false);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(target, "keep"), "utf8")).toBe("x");
    expect(fs.existsSync(other)).toBe(true);
  });
});
