import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { TarHasher } from "./tar-hasher";

it("lists every member of a GNU tar stream with its sha256, whatever the chunk sizes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tarhash-"));
  try {
    const long = `${"deep/".repeat(30)}file-with-a-long-name.txt`;
    const files: Record<string, Buffer> = {
      "a.txt": Buffer.from("hello\n"),
      "empty": Buffer.alloc(0),
      "sub/exact-512": Buffer.alloc(512, 7),
      "sub/big.bin": crypto.randomBytes(100_003),
      [long]: Buffer.from("long name"),
    };
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, "data", name)), { recursive: true });
      fs.writeFileSync(path.join(dir, "data", name), content);
    }
    fs.symlinkSync("a.txt", path.join(dir, "data", "link"));
    const archive = execFileSync("tar", ["-cf", "-", "--format=gnu", "-C", path.join(dir, "data"), "."], { maxBuffer: 10_000_000 });
    const hasher = new TarHasher();
    for (let i = 0; i < archive.length; ) {
      const n = 1 + Math.floor(Math.random() * 3000);
      hasher.push(archive.subarray(i, i + n));
      i += n;
    }
    hasher.end();
    const byPath = new Map(hasher.entries.map((e) => [e.path, e]));
    for (const [name, content] of Object.entries(files)) {
      expect(byPath.get(name)).toEqual({ path: name, type: "file", size: content.length, sha256: crypto.createHash("sha256").update(content).digest("hex") });
    }
    expect(byPath.get("link")).toMatchObject({ type: "symlink", linkTarget: "a.txt" });
    expect(byPath.get("sub")).toMatchObject({ type: "directory" });

    const truncated = new TarHasher();
    truncated.push(archive.subarray(0, 1500));
    expect(() => truncated.end()).toThrow("truncated");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
