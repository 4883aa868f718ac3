import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { precompressStatic } from "./precompress-static.mjs";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("precompressStatic", () => {
  it("writes a Brotli copy beside each script and stylesheet, nested too, and of nothing else", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-br-"));
    dirs.push(dir);
    const script = `${"console.log('a chunk');\n".repeat(200)}`;
    fs.mkdirSync(path.join(dir, "chunks"));
    fs.writeFileSync(path.join(dir, "chunks", "a1.js"), script);
    fs.writeFileSync(path.join(dir, "b2.css"), "body{color:red}");
    fs.writeFileSync(path.join(dir, "font.woff2"), "binary");
    expect(precompressStatic(dir)).toBe(2);
    const copy = fs.readFileSync(path.join(dir, "chunks", "a1.js.br"));
    expect(copy.length).toBeLessThan(script.length / 10);
    expect(zlib.brotliDecompressSync(copy).toString()).toBe(script);
    expect(zlib.brotliDecompressSync(fs.readFileSync(path.join(dir, "b2.css.br"))).toString()).toBe("body{color:red}");
    expect(fs.existsSync(path.join(dir, "font.woff2.br"))).toBe(false);
    expect(precompressStatic(path.join(dir, "missing"))).toBe(0);
  });
});
