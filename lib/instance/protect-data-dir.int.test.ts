import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, selectRows } from "@/db/client";
import { env } from "@/lib/env";
import { protectDataDir } from "./protect-data-dir";

const modeOf = (p: string) => fs.lstatSync(p).mode & 0o7777;

/** Every file and folder beneath `dir` (links not followed), relative, with its mode. */
function modesBeneath(dir: string): Map<string, { mode: number; folder: boolean }> {
  const modes = new Map<string, { mode: number; folder: boolean }>();
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      modes.set(path.relative(dir, full), { mode: modeOf(full), folder: entry.isDirectory() });
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return modes;
}

/** Those of modesBeneath that other accounts may use. */
const openToOthers = (dir: string) => [...modesBeneath(dir)].filter(([, { mode }]) => (mode & 0o7077) !== 0).map(([name, { mode }]) => `${name} ${mode.toString(8)}`);

describe("DATA_DIR, only the server's account's", () => {
  const umask = process.umask(0o022);
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-outside-"));
  beforeEach(() => void process.umask(0o022)); // as a server started by a shell with the usual umask
  afterAll(() => {
    process.umask(umask);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("is tightened at start, with the database, run/ and the secrets in it, and no link is followed", async () => {
    const dataDir = env().dataDir;
    fs.chmodSync(dataDir, 0o755);
    // A database an older version made: PGlite's own modes (its files 0666, its folders 0755).
    const older = await PGlite.create(path.join(dataDir, "pglite"));
    await older.close();
    expect(openToOthers(path.join(dataDir, "pglite")).length).toBeGreaterThan(100);
    fs.writeFileSync(path.join(dataDir, "auth-secret"), "s".repeat(48), { mode: 0o644 });
    fs.writeFileSync(path.join(dataDir, "variables-key"), "k".repeat(44), { mode: 0o644 });
    fs.mkdirSync(path.join(dataDir, "run", "hooks"), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(dataDir, "run", "hooks", "123-456"), "", { mode: 0o644 });
    // An environment's data: its folder's own mode is tightened, what the environment keeps in it is not walked.
    fs.mkdirSync(path.join(dataDir, "volumes", "shop", "main"), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(dataDir, "volumes", "shop", "main", "upload.jpg"), "", { mode: 0o644 });
    // Links to files and a folder outside, at the top and inside the folders walked.
    const outsideFile = path.join(outside, "someone-elses.txt");
    fs.writeFileSync(outsideFile, "not the server's", { mode: 0o644 });
    fs.mkdirSync(path.join(outside, "folder"), { mode: 0o755 });
    fs.writeFileSync(path.join(outside, "folder", "inside.txt"), "", { mode: 0o644 });
    fs.symlinkSync(outsideFile, path.join(dataDir, "linked-secret"));
    fs.symlinkSync(path.join(outside, "folder"), path.join(dataDir, "linked-folder"));
    fs.symlinkSync(outsideFile, path.join(dataDir, "pglite", "linked-file"));
    fs.symlinkSync(path.join(outside, "folder"), path.join(dataDir, "run", "linked-folder"));

    const lines: string[] = [];
    const report = protectDataDir(dataDir, (line) => lines.push(line));

    expect(modeOf(dataDir)).toBe(0o700);
    expect(lines[0]).toBe(`DATA_DIR ${dataDir} was mode 0755: tightened to 0700 (only the server's account may read it).`);
    expect(lines[1]).toMatch(/^Tightened \d+ file\(s\) and folder\(s\) in DATA_DIR that other accounts could read \(.+\): only the server's account may read them now\.$/);
    expect(lines[1]).toMatch(/[(, ]pglite\/ \(\d+\)/);
    expect(lines[1]).toContain("auth-secret (was 0644)");
    expect(lines).toHaveLength(2);
    expect(report.failed).toEqual([]);
    for (const [name, { mode, folder }] of modesBeneath(path.join(dataDir, "pglite"))) {
      if (name !== "linked-file") expect(`${name} ${mode.toString(8)}`).toBe(`${name} ${folder ? "700" : "600"}`);
    }
    expect(modeOf(path.join(dataDir, "pglite"))).toBe(0o700);
    expect(modeOf(path.join(dataDir, "auth-secret"))).toBe(0o600);
    expect(modeOf(path.join(dataDir, "variables-key"))).toBe(0o600);
    expect(openToOthers(path.join(dataDir, "run")).filter((name) => !name.startsWith("linked-folder "))).toEqual([]);
    expect(modeOf(path.join(dataDir, "run"))).toBe(0o700);
    expect(modeOf(path.join(dataDir, "volumes"))).toBe(0o700);
    expect(modeOf(path.join(dataDir, "volumes", "shop"))).toBe(0o755);
    expect(modeOf(path.join(dataDir, "volumes", "shop", "main", "upload.jpg"))).toBe(0o644);
    // Nothing outside changed through the links, and the links are still links.
    expect(modeOf(outsideFile)).toBe(0o644);
    expect(modeOf(path.join(outside, "folder"))).toBe(0o755);
    expect(modeOf(path.join(outside, "folder", "inside.txt"))).toBe(0o644);
    expect(fs.lstatSync(path.join(dataDir, "linked-secret")).isSymbolicLink()).toBe(true);
    expect(report.changed.map((c) => c.path).filter((p) => p.includes("linked"))).toEqual([]);
    // What the server makes from now on is its alone: the umask is 0077.
    fs.writeFileSync(path.join(dataDir, "made-after"), "");
    expect(modeOf(path.join(dataDir, "made-after"))).toBe(0o600);

    // A second start has nothing to say, and the database still opens.
    const again: string[] = [];
    expect(protectDataDir(dataDir, (line) => again.push(line)).changed).toEqual([]);
    expect(again).toEqual([]);
    fs.rmSync(path.join(dataDir, "pglite", "linked-file"));
    const database = await openDatabase({ dataDir });
    try {
      expect(await selectRows<{ one: number }>(database.db, sql`select 1 as one`)).toEqual([{ one: 1 }]);
    } finally {
      await database.close();
    }
  });

  it("creates a new embedded database, and DATA_DIR, for the server's account only, whatever the umask", async () => {
    const dataDir = path.join(outside, "new-data-dir");
    const database = await openDatabase({ dataDir });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(path.join(dataDir, "pglite.lock"))).toBe(0o600);
      expect(modeOf(path.join(dataDir, "pglite"))).toBe(0o700);
      // initdb's files (0666 as PGlite writes them) and pg_internal.init, which PGlite writes 0644 at each open.
      expect(openToOthers(path.join(dataDir, "pglite"))).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
