/**
 * Which application runtimes this host can run, probed once per process: nginx in front of every
 * application, and PHP-FPM, Node.js or Python 3 behind it. A configuration's `type` asks for a
 * version; the host runs the one it has, and says so when they differ. The comparison is pure
 * (`decideRuntime`), the probe is not.
 */
import "server-only";
import fs from "node:fs";
import { HOST_PROGRAM_DIRS, findProgram, printedVersion } from "@/lib/runtime/host-programs";
import { RUNTIME_FAMILIES, runtimeFamily, type RuntimeFamily } from "@/lib/config/parse-config";

/** A program found on the host, with the version it reports. */
export interface HostProgram {
  path: string;
  version: string;
}

/** What the host has: every php-fpm found (php-fpm8.2, …), node, python3 and nginx. */
export interface HostProbe {
  nginx: HostProgram | null;
  phpFpm: HostProgram[];
  node: HostProgram | null;
  python: HostProgram | null;
}

export type HostRuntime =
  | {
      ok: true;
      family: RuntimeFamily;
      /** The version the host runs. */
      version: string;
      /** Set when it differs from the requested one ("php:8.3 requested; this host runs PHP 8.2"). */
      note: string | null;
      /** nginx, and the runtime's program: php-fpm, node or python3. */
      binaries: { nginx: string; runtime: string };
    }
  | { ok: false; reason: string };

const NAMES: Record<RuntimeFamily, string> = { php: "PHP", nodejs: "Node.js", python: "Python" };
const INSTALL: Record<RuntimeFamily | "nginx", string> = {
  php: "php-fpm is not installed (Debian: apt-get install php-fpm)",
  nodejs: "Node.js is not installed (Debian: apt-get install nodejs)",
  python: "Python 3 is not installed (Debian: apt-get install python3)",
  nginx: "nginx is not installed (Debian: apt-get install nginx)",
};

/** How many leading version parts count: major.minor for PHP and Python, major for Node.js. */
const PRECISION: Record<RuntimeFamily, number> = { php: 2, python: 2, nodejs: 1 };

const versionParts = (v: string) => v.split(".").map((p) => Number.parseInt(p, 10));
const shortVersion = (family: RuntimeFamily, v: string) => v.split(".").slice(0, PRECISION[family]).join(".");

/** Whether `host` is the version `requested` asks for, compared as far as the family's precision and the request go. */
export function sameRuntimeVersion(family: RuntimeFamily, requested: string, host: string): boolean {
  const want = versionParts(requested).slice(0, PRECISION[family]);
  const have = versionParts(host);
  return want.every((n, i) => n === have[i]);
}

/** The sentence shown when the host runs another version than the one asked for, or null. */
export function runtimeNote(family: RuntimeFamily, requested: string, host: string): string | null {
  return sameRuntimeVersion(family, requested, host) ? null : `${family}:${requested} requested; this host runs ${NAMES[family]} ${shortVersion(family, host)}`;
}

/** The php-fpm to run for `requested`: the same major.minor when the host has it, else the newest. */
export function choosePhpFpm(requested: string, available: readonly HostProgram[]): HostProgram | null {
  const compare = (a: HostProgram, b: HostProgram) => {
    const [x, y] = [versionParts(a.version), versionParts(b.version)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
    return 0;
  };
  const newestFirst = [...available].sort(compare);
  return newestFirst.find((p) => sameRuntimeVersion("php", requested, p.version)) ?? newestFirst[0] ?? null;
}

/** What runs an application of `type` on a host with `probe`. Pure. */
export function decideRuntime(type: string, probe: HostProbe): HostRuntime {
  const m = /^([a-z]+):([0-9][0-9.]*)$/.exec(type);
  if (!m) return { ok: false, reason: `type “${type}” must look like php:8.3` };
  const family = runtimeFamily(type);
  if (!family) return { ok: false, reason: `type “${type}”: this host runs ${RUNTIME_FAMILIES.slice(0, -1).join(", ")} and ${RUNTIME_FAMILIES.at(-1)} applications; choose one of them` };
  const requested = m[2]!;
  const program = family === "php" ? choosePhpFpm(requested, probe.phpFpm) : family === "nodejs" ? probe.node : probe.python;
  if (!program) return { ok: false, reason: INSTALL[family] };
  if (!probe.nginx) return { ok: false, reason: INSTALL.nginx };
  return { ok: true, family, version: program.version, note: runtimeNote(family, requested, program.version), binaries: { nginx: probe.nginx.path, runtime: program.path } };
}

let probed: HostProbe | undefined;

/** The host's programs, probed once per process. */
export function probeHost(): HostProbe {
  if (probed) return probed;
  const found = (name: string, args: string[], pattern: RegExp) => {
    const file = findProgram(name);
    const version = file ? printedVersion(file, args, pattern) : null;
    return file && version ? { path: file, version } : null;
  };
  const fpmNames = new Set<string>();
  for (const dir of HOST_PROGRAM_DIRS) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) if (/^php-fpm[0-9.]*$/.test(name)) fpmNames.add(name);
  }
  const phpFpm = [...fpmNames].sort().flatMap((name) => found(name, ["-v"], /^PHP ([0-9]+\.[0-9]+\.[0-9]+)/m) ?? []);
  const seen = new Set<string>();
  probed = {
    nginx: found("nginx", ["-v"], /nginx\/([0-9.]+)/),
    // The same program under two names (php-fpm → php-fpm8.2) is kept once.
    phpFpm: phpFpm.filter((p) => !seen.has(fs.realpathSync(p.path)) && seen.add(fs.realpathSync(p.path))),
    node: found("node", ["--version"], /^v([0-9.]+)/m),
    python: found("python3", ["--version"], /^Python ([0-9.]+)/m),
  };
  return probed;
}

/** What runs an application of `type` here: its programs and version, or why it cannot run. */
export function hostRuntime(type: string): HostRuntime {
  return decideRuntime(type, probeHost());
}
