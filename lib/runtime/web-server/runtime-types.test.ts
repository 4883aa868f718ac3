import { describe, expect, it } from "vitest";
import { choosePhpFpm, decideRuntime, runtimeNote, sameRuntimeVersion, type HostProbe } from "./runtime-types";

const probe: HostProbe = {
  nginx: { path: "/usr/sbin/nginx", version: "1.22.1" },
  phpFpm: [
    { path: "/usr/sbin/php-fpm8.1", version: "8.1.27" },
    { path: "/usr/sbin/php-fpm8.2", version: "8.2.29" },
  ],
  node: { path: "/usr/bin/node", version: "20.19.2" },
  python: { path: "/usr/bin/python3", version: "3.11.2" },
};

describe("runtime versions", () => {
  it.each([
    ["php", "8.2", "8.2.29", true],
    ["php", "8.3", "8.2.29", false],
    ["php", "8", "8.2.29", true],
    ["php", "8.2.1", "8.2.29", true],
    ["python", "3.11", "3.11.2", true],
    ["python", "3.12", "3.11.2", false],
    ["nodejs", "20", "20.19.2", true],
    ["nodejs", "20.5", "20.19.2", true],
    ["nodejs", "22", "20.19.2", false],
  ] as const)("%s:%s on %s is the same: %s", (family, requested, host, same) => {
    expect(sameRuntimeVersion(family, requested, host)).toBe(same);
  });

  it("says which version runs when it is not the one asked for", () => {
    expect(runtimeNote("php", "8.3", "8.2.29")).toBe("php:8.3 requested; this host runs PHP 8.2");
    expect(runtimeNote("nodejs", "22", "20.19.2")).toBe("nodejs:22 requested; this host runs Node.js 20");
    expect(runtimeNote("python", "3.12", "3.11.2")).toBe("python:3.12 requested; this host runs Python 3.11");
    expect(runtimeNote("php", "8.2", "8.2.29")).toBeNull();
  });

  it("chooses the php-fpm of the requested major.minor, else the newest", () => {
    expect(choosePhpFpm("8.1", probe.phpFpm)?.path).toBe("/usr/sbin/php-fpm8.1");
    expect(choosePhpFpm("8.3", probe.phpFpm)?.path).toBe("/usr/sbin/php-fpm8.2");
    expect(choosePhpFpm("7.4", [{ path: "/a", version: "8.10.0" }, { path: "/b", version: "8.9.0" }])?.path).toBe("/a");
    expect(choosePhpFpm("8.2", [])).toBeNull();
  });
});

describe("decideRuntime", () => {
  it("gives the programs and the version that run a type, with a note when it differs", () => {
    expect(decideRuntime("php:8.3", probe)).toEqual({
      ok: true,
      family: "php",
      version: "8.2.29",
      note: "php:8.3 requested; this host runs PHP 8.2",
      binaries: { nginx: "/usr/sbin/nginx", runtime: "/usr/sbin/php-fpm8.2" },
    });
    expect(decideRuntime("nodejs:20", probe)).toMatchObject({ ok: true, family: "nodejs", note: null, binaries: { runtime: "/usr/bin/node" } });
    expect(decideRuntime("python:3.11", probe)).toMatchObject({ ok: true, family: "python", version: "3.11.2", note: null });
  });

  it("says why a type cannot run here", () => {
    expect(decideRuntime("ruby:3.3", probe)).toEqual({ ok: false, reason: "type “ruby:3.3”: this host runs php, nodejs and python applications; choose one of them" });
    expect(decideRuntime("php", probe)).toEqual({ ok: false, reason: "type “php” must look like php:8.3" });
    expect(decideRuntime("php:8.2", { ...probe, phpFpm: [] })).toEqual({ ok: false, reason: "php-fpm is not installed (Debian: apt-get install php-fpm)" });
    expect(decideRuntime("nodejs:20", { ...probe, node: null })).toEqual({ ok: false, reason: "Node.js is not installed (Debian: apt-get install nodejs)" });
    expect(decideRuntime("python:3.11", { ...probe, nginx: null })).toEqual({ ok: false, reason: "nginx is not installed (Debian: apt-get install nginx)" });
  });
});
