#!/usr/bin/env node
// `npm start`: build when the sources changed since the last build, then serve.
// Migrations, the first administrator and the demo project are handled by the server
// itself at start (instrumentation.ts), so this script only builds and launches.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const stampFile = path.join(root, ".next", "source-hash");
const SOURCES = ["app", "components", "lib", "db", "public", "instrumentation.ts", "next.config.js", "postcss.config.mjs", "package-lock.json", "tsconfig.json"];

function hashSources() {
  const hash = crypto.createHash("sha256");
  const walk = (p) => {
    const full = path.join(root, p);
    if (!fs.existsSync(full)) return;
    const stat = fs.statSync(full);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(full).sort()) walk(path.join(p, entry));
    } else {
      hash.update(p).update("\0").update(fs.readFileSync(full)).update("\0");
    }
  };
  SOURCES.forEach(walk);
  return hash.digest("hex");
}

const started = Date.now();
const sourceHash = hashSources();
const built = fs.existsSync(path.join(root, ".next", "BUILD_ID")) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === sourceHash;
if (!built) {
  console.log("[start] Building the dashboard (first start or sources changed)…");
  const result = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) {
    console.error("[start] The build failed; see the output above.");
    process.exit(result.status ?? 1);
  }
  fs.writeFileSync(stampFile, sourceHash);
  console.log(`[start] Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

const port = process.env.PORT || "3000";
const server = spawn(process.execPath, [nextBin, "start", "--port", port], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PORT: port, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
