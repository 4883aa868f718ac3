import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dataPaths } from "@/lib/paths";
import { STATIC_SITE_SUFFIX, staticSiteReason } from "./deploy";

/** An environment whose `current` deployment is `release`, with `beside(file)` making its .static entry. */
function environment(name: string, beside?: (file: string) => void): void {
  const dir = dataPaths.environmentDeploys("static-reason", name);
  fs.mkdirSync(path.join(dir, "release"), { recursive: true });
  fs.symlinkSync(path.join(dir, "release"), path.join(dir, "current"));
  beside?.(path.join(dir, `release${STATIC_SITE_SUFFIX}`));
}

describe("why a deployment is served as static files", () => {
  it("is the sentence its deploy wrote beside it, cut to a bound", () => {
    environment("written", (file) => fs.writeFileSync(file, "This host cannot run the application: python 3.12 is not installed.\n"));
    expect(staticSiteReason("static-reason", "written")).toBe("This host cannot run the application: python 3.12 is not installed.");
    environment("long", (file) => fs.writeFileSync(file, "x".repeat(10_000)));
    expect(staticSiteReason("static-reason", "long")).toHaveLength(2_000);
  });

  it("is null when the deployment runs its application or nothing is deployed", () => {
    environment("runs");
    expect(staticSiteReason("static-reason", "runs")).toBeNull();
    expect(staticSiteReason("static-reason", "never-deployed")).toBeNull();
  });

  it("follows no link and never waits on a FIFO", () => {
    const secret = path.join(dataPaths.environmentDeploys("static-reason", "x"), "..", "secret.txt");
    fs.mkdirSync(path.dirname(secret), { recursive: true });
    fs.writeFileSync(secret, "not to be shown");
    environment("link", (file) => fs.symlinkSync(secret, file));
    expect(staticSiteReason("static-reason", "link")).toBeNull();
    environment("fifo", (file) => execFileSync("mkfifo", [file]));
    expect(staticSiteReason("static-reason", "fifo")).toBeNull();
  });
});
