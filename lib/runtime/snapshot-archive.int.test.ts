import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSnapshotArchive } from "./snapshot-archive";

/** A 1 MiB file system, when this machine lets us mount one (root in a container usually may). */
function mountTinyDisk(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-full-disk-"));
const tiny = path.join(base, "tiny");
fs.mkdirSync(tiny);
const mounted = mountTinyDisk(tiny);

describe.skipIf(!mounted)("a snapshot on a full disk", () => {
  beforeAll(() => {
    fs.mkdirSync(path.join(base, "data"));
    fs.writeFileSync(path.join(base, "data", "big.bin"), crypto.randomBytes(4 * 1024 * 1024));
  });
  afterAll(() => {
    execFileSync("umount", [tiny]);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("fails with the reason", async () => {
    await expect(
      writeSnapshotArchive({
        sourceDir: path.join(base, "data"),
        targetDir: path.join(tiny, "snapshot.partial"),
        meta: { snapshotId: "x", project: "p", environment: "e", deployedCommit: null, consistency: "consistent", createdAt: "", expiresAt: "" },
      }),
    ).rejects.toThrow("Writing the archive failed: the disk is full (No space left on device).");
  });
});
