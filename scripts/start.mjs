#!/usr/bin/env node
// `npm start`: build when the sources changed since the last build, then serve, in this same
// process (no wrapper kept alive: `next start` runs here). Migrations, the first administrator
// and the demo project are handled by the server itself at start (instrumentation.ts).
// package.json starts it with glibc's malloc told to keep one arena (it otherwise gives each of the
// server's threads, libuv's pool and worker threads, its own, and keeps them), to serve blocks of
// 128 KiB and more from their own mappings, and to give freed memory back above 128 KiB: what a
// render or a compilation used goes back to the system instead of staying with the process. V8's
// young generation is capped at 2 MiB per half (--max-semi-space-size=2): it otherwise grows to
// 16 MiB per half under a burst of renders and keeps that for a minute after it.
import { buildIfNeeded, nextBin, root } from "./build-if-needed.mjs";

buildIfNeeded((line) => console.log(line.replace("[build]", "[start]")));

const port = process.env.PORT || "3000";
process.env.PORT = port;
process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.chdir(root);
// Next's own command line, as if run as `next start --port <port>`: it serves from this process.
process.argv = [process.argv[0], nextBin, "start", "--port", port];
await import(nextBin);
