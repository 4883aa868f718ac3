// What a server that died mid-copy or mid-dump left under DATA_DIR/run/svc (folders holding
// clients' option files with passwords) is removed at the next start, without following a link
// a sandbox could have put there; an environment's own service folders stay.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const { sweepServiceLeftovers } = await import("./local-services");
const { dataPaths } = await import("@/lib/paths");

describe("sweepServiceLeftovers", () => {
  it("removes .copy-* and .dump-* folders, follows no link in them, and keeps the services' own folders", async () => {
    const envDir = dataPaths.environmentServices(`leftovers${process.pid}`, "staging");
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "pwi-leftover-outside-"));
    fs.writeFileSync(path.join(outside, "precious"), "keep me");
    for (const name of [".copy-mysql/client", ".dump-1b2c/conf", "mysql/conf"]) fs.mkdirSync(path.join(envDir, name), { recursive: true });
    fs.writeFileSync(path.join(envDir, ".copy-mysql/client/source.cnf"), "[client]\npassword=secret\n");
    fs.writeFileSync(path.join(envDir, ".dump-1b2c/conf/dump.cnf"), "[client]\npassword=secret\n");
    fs.symlinkSync(outside, path.join(envDir, ".copy-mysql/client/link"));
    fs.writeFileSync(path.join(envDir, "mysql/conf/my.cnf"), "[mysqld]\n");

    expect(await sweepServiceLeftovers()).toBeGreaterThanOrEqual(2);
    expect(fs.readdirSync(envDir)).toEqual(["mysql"]);
    expect(fs.readFileSync(path.join(outside, "precious"), "utf8")).toBe("keep me");
    expect(await sweepServiceLeftovers()).toBe(0);
    fs.rmSync(path.dirname(envDir), { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
});
