import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dedupeServerChunks } from "./dedupe-server-chunks.mjs";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("dedupeServerChunks", () => {
  it("keeps one of each set of identical chunks and turns the others into references to it, across folders", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-dedupe-"));
    dirs.push(dir);
    const chunk = `module.exports=[1,(e)=>{e.v=${JSON.stringify("x".repeat(5000))}}];\n`;
    const other = `module.exports=[2,(e)=>{e.v=${JSON.stringify("y".repeat(5000))}}];\n`;
    fs.mkdirSync(path.join(dir, "ssr"));
    fs.writeFileSync(path.join(dir, "[root-of-the-server]__a._.js"), chunk);
    fs.writeFileSync(path.join(dir, "[root-of-the-server]__b._.js"), chunk);
    fs.writeFileSync(path.join(dir, "ssr", "c.js"), chunk);
    fs.writeFileSync(path.join(dir, "d.js"), other);
    fs.writeFileSync(path.join(dir, "small-1.js"), "module.exports=[3];\n");
    fs.writeFileSync(path.join(dir, "small-2.js"), "module.exports=[3];\n");

    expect(dedupeServerChunks(dir)).toBe(2);
    expect(fs.readFileSync(path.join(dir, "[root-of-the-server]__a._.js"), "utf8")).toBe(chunk);
    expect(fs.readFileSync(path.join(dir, "d.js"), "utf8")).toBe(other);
    expect(fs.readFileSync(path.join(dir, "small-2.js"), "utf8")).toBe("module.exports=[3];\n"); // too small to bother
    const load = createRequire(path.join(dir, "index.js"));
    const kept = load("./[root-of-the-server]__a._.js");
    expect(load("./[root-of-the-server]__b._.js")).toBe(kept); // the same exports: one module in memory
    expect(load("./ssr/c.js")).toBe(kept);
    expect(dedupeServerChunks(dir)).toBe(0); // a second pass finds nothing
    expect(dedupeServerChunks(path.join(dir, "missing"))).toBe(0);
  });
});
