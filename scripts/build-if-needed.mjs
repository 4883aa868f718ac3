// Builds the dashboard with `next build` unless .next holds a build of exactly these sources.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { asciiServerChunks } from "./ascii-server-chunks.mjs";
import { dedupeServerChunks } from "./dedupe-server-chunks.mjs";
import { precompressStatic } from "./precompress-static.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const stampFile = path.join(root, ".next", "source-hash");
const SOURCES = ["app", "components", "lib", "db", "public", "instrumentation.ts", "proxy.ts", "next.config.js", "postcss.config.mjs", "package-lock.json", "tsconfig.json", "scripts/build-if-needed.mjs", "scripts/ascii-server-chunks.mjs", "scripts/dedupe-server-chunks.mjs", "scripts/precompress-static.mjs"];
const IGNORED = /\.(test|int\.test)\.ts$|^db\/testing\//;

function hashSources() {
  const hash = crypto.createHash("sha256");
  const walk = (p) => {
    const full = path.join(root, p);
    if (!fs.existsSync(full) || IGNORED.test(p)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const entry of fs.readdirSync(full).sort()) walk(path.join(p, entry));
    } else {
      hash.update(p).update("\0").update(fs.readFileSync(full)).update("\0");
    }
  };
  SOURCES.forEach(walk);
  return hash.digest("hex");
}

/** Returns true when it built, false when the existing build was current. Exits on failure. */
export function buildIfNeeded(log = console.log) {
  const started = Date.now();
  const sourceHash = hashSources();
  const current =
    fs.existsSync(path.join(root, ".next", "BUILD_ID")) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === sourceHash;
  if (current) return false;
  log("[build] Building the dashboard (first run, or the sources changed)…");
  const result = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) {
    console.error("[build] The build failed; see the output above.");
    process.exit(result.status ?? 1);
  }
  const rewritten = asciiServerChunks(path.join(root, ".next", "server"), log);
  log(`[build] ${rewritten} server file(s) rewritten in ASCII (one byte per character in V8's memory).`);
  const deduped = dedupeServerChunks(path.join(root, ".next", "server", "chunks"));
  log(`[build] ${deduped} duplicate server chunk(s) turned into references to one copy.`);
  precompressStatic(path.join(root, ".next", "static"), log);
  fs.writeFileSync(stampFile, sourceHash);
  log(`[build] Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
