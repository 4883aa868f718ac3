#!/usr/bin/env node
// `npm start`: build when the sources changed since the last build, then serve.
// Migrations, the first administrator and the demo project are handled by the server
// itself at start (instrumentation.ts), so this script only builds and launches.
import { spawn } from "node:child_process";
import { buildIfNeeded, nextBin, root } from "./build-if-needed.mjs";

buildIfNeeded((line) => console.log(line.replace("[build]", "[start]")));

const port = process.env.PORT || "3000";
const server = spawn(process.execPath, [nextBin, "start", "--port", port], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PORT: port, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
