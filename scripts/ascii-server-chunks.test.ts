import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { asciiServerChunks } from "./ascii-server-chunks.mjs";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function chunkDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-ascii-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Runs a CommonJS module's text and returns its exports. */
function run(source: string): Record<string, unknown> {
  const cjs = { exports: {} as Record<string, unknown> };
  vm.runInNewContext(source, { module: cjs, exports: cjs.exports });
  return cjs.exports;
}

describe("asciiServerChunks", () => {
  // Strings, templates, identifiers, astral characters, an escaped non-ASCII character and a comment.
  const source = [
    "// ✓ a comment",
    'const café = "naïve ✓ — 😀", quoted = "\\✓";',
    "const tpl = `${café} ⚠ ${1 + 1}`;",
    "module.exports = { café, quoted, tpl, dashes: 'a–b—c'.split('–'), length: café.length };",
  ].join("\n");

  it("rewrites a file with non-ASCII characters to ASCII that means the same", () => {
    const dir = chunkDir({ "chunks/a.js": source, "app/page.js": "module.exports = 'plain';", "chunks/a.js.map": "{\"note\":\"✓\"}" });
    expect(asciiServerChunks(dir, () => undefined)).toBe(1);
    const rewritten = fs.readFileSync(path.join(dir, "chunks/a.js"), "utf8");
    expect(rewritten).toMatch(/^[\x00-\x7f]*$/);
    expect(run(rewritten)).toEqual(run(source));
    // Files without such characters, and files that are not JavaScript, are left as they were.
    expect(fs.readFileSync(path.join(dir, "app/page.js"), "utf8")).toBe("module.exports = 'plain';");
    expect(fs.readFileSync(path.join(dir, "chunks/a.js.map"), "utf8")).toBe("{\"note\":\"✓\"}");
  });

  it("keeps what it does not escape (a tagged template's raw text, a regular expression) as written", () => {
    const tagged = "const re = /[–—]+/g, reU = /😀|✓/u; module.exports = { raw: String.raw`⨯\\n`, other: '✓', dashes: 'a–b—c'.replace(re, '-'), emoji: reU.test('x😀') };";
    const dir = chunkDir({ "chunks/t.js": tagged });
    expect(asciiServerChunks(dir, () => undefined)).toBe(1);
    const rewritten = fs.readFileSync(path.join(dir, "chunks/t.js"), "utf8");
    expect(run(rewritten)).toEqual(run(tagged));
    expect(rewritten).toContain("\\u2713");
  });

  it("leaves a file it cannot parse as it was, and says so", () => {
    const broken = "module.exports = ✓ not javascript";
    const dir = chunkDir({ "chunks/broken.js": broken });
    const lines: string[] = [];
    expect(asciiServerChunks(dir, (l: string) => lines.push(l))).toBe(0);
    expect(fs.readFileSync(path.join(dir, "chunks/broken.js"), "utf8")).toBe(broken);
    expect(lines.join("\n")).toMatch(/chunks\/broken\.js kept as built/);
  });
});
