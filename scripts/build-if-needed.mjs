// Builds the dashboard unless it is built from exactly these sources: the app with `next build`
// (its output in .next is what Next.js wrote), and the server's front door (server.ts) with
// esbuild into build/server.cjs.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The front door as Node.js runs it. */
export const serverBundle = path.join(root, "build", "server.cjs");
const stampFile = path.join(root, "build", "source-hash");
const SOURCES = ["app", "components", "lib", "db", "public", "server.ts", "proxy.ts", "next.config.js", "postcss.config.mjs", "package-lock.json", "tsconfig.json", "scripts/build-if-needed.mjs"];
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

/**
 * server.ts and the modules it imports, in one CommonJS file; packages stay in node_modules, so
 * the front door shares pg and PGlite with Next.js's server. `server-only` is a marker for
 * Next.js's bundler (the front door is server code by definition): it is left out.
 */
export async function bundleServer() {
  const esbuild = createRequire(import.meta.url)("esbuild");
  await esbuild.build({
    entryPoints: [path.join(root, "server.ts")],
    outfile: serverBundle,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    tsconfig: path.join(root, "tsconfig.json"),
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [
      {
        name: "server-only",
        setup(build) {
          build.onResolve({ filter: /^server-only$/ }, () => ({ path: "server-only", namespace: "marker" }));
          build.onLoad({ filter: /.*/, namespace: "marker" }, () => ({ contents: "", loader: "js" }));
        },
      },
    ],
  });
}

/** Returns true when it built, false when the existing build was current. Exits on failure. */
export async function buildIfNeeded(log = console.log) {
  const started = Date.now();
  const sourceHash = hashSources();
  const current =
    fs.existsSync(path.join(root, ".next", "BUILD_ID")) && fs.existsSync(serverBundle) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === sourceHash;
  if (current) return false;
  log("[build] Building the dashboard (first run, or the sources changed)…");
  const result = spawnSync(path.join(root, "node_modules", ".bin", "next"), ["build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) {
    console.error("[build] The build failed; see the output above.");
    process.exit(result.status ?? 1);
  }
  await bundleServer();
  fs.writeFileSync(stampFile, sourceHash);
  log(`[build] Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
