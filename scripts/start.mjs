#!/usr/bin/env node
// `npm start`: build when the sources changed since the last build, then serve, in this same
// process: server.ts (bundled as build/server.cjs) is the server. `--dev` serves the sources with
// Next.js's development server instead (`npm run dev`). Migrations, the first administrator and
// the demo project are handled by the server itself at start (lib/instance/startup.ts).
// `npm run build` only builds.
//
// package.json's `start` runs it (and the tests' and benchmarks' servers read and run that line):
// - glibc's malloc keeps one arena (it otherwise gives each of the server's threads, libuv's pool
//   and worker threads, its own, and keeps them), serves blocks of 32 KiB and more from their own
//   mappings (a burst of mid-sized blocks, freed, otherwise stays in the middle of its heap: about
//   20 MiB kept after a first start), and gives freed memory back above 128 KiB;
// - V8's young generation is capped at 2 MiB per half: it otherwise grows to 16 MiB per half
//   under a burst of renders and keeps that for 30-40 s after it.
import { createRequire } from "node:module";
import { buildIfNeeded, bundleServer, root, serverBundle } from "./build-if-needed.mjs";

// What this process and every process it starts create is its account's alone (0600 files, 0700
// folders): DATA_DIR holds users, sessions, mail and sealed values. The server sets it again at
// start (lib/instance/protect-data-dir.ts).
process.umask(0o077);

const dev = process.argv.includes("--dev");
if (dev) await bundleServer();
else await buildIfNeeded((line) => console.log(line.replace("[build]", "[start]")));
if (process.argv.includes("--build-only")) process.exit(0);

process.env.NODE_ENV = dev ? "development" : "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.chdir(root);
const { serve } = createRequire(import.meta.url)(serverBundle);
try {
  await serve({ root, dev });
} catch (err) {
  // A bad setting (lib/env.ts says which and how to fix it), an unreadable build: nothing serves.
  console.error(`[startup] The dashboard cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
