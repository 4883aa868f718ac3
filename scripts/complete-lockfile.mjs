#!/usr/bin/env node
// The npm registry reachable from this workplace serves only some platforms' builds of
// packages such as @next/swc-* or @tailwindcss/oxide-*, so `npm install` leaves the other
// platforms' optional dependencies out of package-lock.json and `npm ci` then refuses the
// lockfile as out of sync. This adds an entry for each such optional dependency, marked
// with the os/cpu its name declares, so npm ci skips it here and fetches it elsewhere.
// Run after `npm install` changes dependencies:  node scripts/complete-lockfile.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const lockPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "package-lock.json");
const lock = JSON.parse(fs.readFileSync(lockPath, "utf8"));
const packages = lock.packages;
const OSES = ["darwin", "win32", "freebsd", "android", "openharmony", "netbsd", "openbsd", "sunos", "aix", "linux"];
const CPUS = ["arm64", "x64", "ia32", "arm", "loong64", "ppc64", "riscv64", "s390x", "mips64el", "wasm32"];

function platformOf(name) {
  const tokens = name.split("/").pop().split("-");
  const os = OSES.find((o) => tokens.includes(o));
  const cpu = CPUS.find((c) => tokens.includes(c));
  if (tokens.includes("wasm32") || tokens.includes("wasi")) return { cpu: ["wasm32"] };
  return { ...(os ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}) };
}

let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = key ? `${key}/node_modules/` : "node_modules/";
    if (packages[`${base}${dep}`] || packages[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform.os && !platform.cpu) continue; // not a platform build: leave it to npm
    packages[`node_modules/${dep}`] = { version, optional: true, ...platform };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.log(`complete-lockfile: added ${added} other-platform optional entr${added === 1 ? "y" : "ies"}.`);
