import { describe, expect, it } from "vitest";
import { MAX_DOTENV_ENTRIES, parseDotenv, toDotenv } from "./dotenv";

describe("parseDotenv", () => {
  it("reads KEY=value lines, quotes, comments and export; env: is added to keys without a prefix", () => {
    const text = [
      "# a comment",
      "",
      "export APP_ENV=production",
      "PLAIN = some value  # trailing comment",
      "SINGLE='it''s $NOT expanded'",
      'DOUBLE="line one\\nline \\"two\\""',
      'MULTI="first',
      'second"',
      "php:memory_limit=1G",
      "EMPTY=",
      "URL=https://example.com/#anchor",
      "APP_ENV=last-wins",
    ].join("\r\n");
    const r = parseDotenv(text, { shellPrefix: true });
    expect(r.errors).toEqual([]);
    expect(Object.fromEntries(r.entries.map((e) => [e.name, e.value]))).toEqual({
      "env:PLAIN": "some value",
      "env:SINGLE": "it",
      "env:DOUBLE": 'line one\nline "two"',
      "env:MULTI": "first\nsecond",
      "php:memory_limit": "1G",
      "env:EMPTY": "",
      "env:URL": "https://example.com/#anchor",
      "env:APP_ENV": "last-wins",
    });
    expect(parseDotenv("FOO=1", { shellPrefix: false }).entries[0]?.name).toBe("FOO");
  });

  it("says which line is wrong and why, and keeps the good ones", () => {
    const r = parseDotenv(['no equals sign here', 'OPEN="never closed', "BAD NAME=1"].join("\n"), { shellPrefix: true });
    expect(r.errors.map((e) => e.line)).toEqual([1, 2, 3]);
    expect(r.errors[0]!.message).toBe("Line 1 is not KEY=value.");
    expect(r.errors[1]!.message).toContain("closing \" is missing");
    expect(parseDotenv("ZW\u200B=1\nOK=2", { shellPrefix: true })).toMatchObject({ entries: [{ name: "env:OK" }], errors: [{ line: 1 }] });
  });

  it("caps what one paste may hold", () => {
    expect(parseDotenv("X=" + "y".repeat(600 * 1024), { shellPrefix: true }).errors[0]!.message).toContain("at most 512 KiB");
    expect(parseDotenv("BIG=" + "y".repeat(101 * 1024), { shellPrefix: true }).errors[0]!.message).toContain("at most 100 KiB");
    const many = Array.from({ length: MAX_DOTENV_ENTRIES + 1 }, (_, i) => `K${i}=v`).join("\n");
    expect(parseDotenv(many, { shellPrefix: true })).toMatchObject({ entries: [], errors: [{ message: expect.stringContaining(`at most ${MAX_DOTENV_ENTRIES}`) }] });
  });

  it("round-trips what toDotenv writes; sensitive values are never written", () => {
    const vars = [
      { name: "env:A", value: "plain", isSensitive: false },
      { name: "env:B", value: 'has "quotes", spaces # and\nlines\\', isSensitive: false },
      { name: "env:TOKEN", value: null, isSensitive: true },
      { name: "php:memory_limit", value: "1G", isSensitive: false },
    ];
    const text = toDotenv(vars);
    expect(text).toContain("# TOKEN: sensitive, not copied");
    expect(text).not.toContain("null");
    const back = parseDotenv(text, { shellPrefix: true });
    expect(back.errors).toEqual([]);
    expect(back.entries.map((e) => [e.name, e.value])).toEqual([
      ["env:A", "plain"],
      ["env:B", 'has "quotes", spaces # and\nlines\\'],
      ["php:memory_limit", "1G"],
    ]);
  });
});
