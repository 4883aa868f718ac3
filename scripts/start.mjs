#!/usr/bin/env node
// `npm start`: build when the sources changed since the last build, then serve, in this same
// process (no wrapper kept alive: `next start` runs here). Migrations, the first administrator
// and the demo project are handled by the server itself at start (instrumentation.ts).
// package.json starts it with the settings of scripts/server-settings.mjs (memory).
import { buildIfNeeded, nextBin, root } from "./build-if-needed.mjs";

// What this process and every process it starts create is its account's alone (0600 files, 0700
// folders): DATA_DIR holds users, sessions, mail and sealed values. The server sets it again at
// start (lib/instance/protect-data-dir.ts), for `next dev` and `next start` run by hand.
process.umask(0o077);

buildIfNeeded((line) => console.log(line.replace("[build]", "[start]")));

const port = process.env.PORT || "3000";
process.env.PORT = port;
process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.chdir(root);
// Next's own command line, as if run as `next start --port <port>`: it serves from this process.
process.argv = [process.argv[0], nextBin, "start", "--port", port];
await import(nextBin);
