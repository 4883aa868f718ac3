// The process runner: a small child process of the server that starts processes for it: short
// commands (git, cp, mkfifo), whose output it buffers, and hooks, which write to a FIFO the
// server reads. Starting a process from the server itself blocks its one thread for 10-20 ms
// (fork copies the page tables of a process holding the embedded database); from this process,
// which holds nothing, it takes about 1 ms. lib/process-runner.ts starts it and sends it work.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";

process.on("disconnect", () => process.exit(0));
process.on("message", (m) => (m.output === undefined ? run(m) : start(m)));

function run(m) {
  const child = execFile(m.file, m.args, { cwd: m.cwd, env: m.env, maxBuffer: m.maxBuffer, encoding: "utf8" }, (error, stdout, stderr) => {
    process.send({
      id: m.id,
      stdout: String(stdout),
      stderr: String(stderr),
      exitCode: error ? (typeof error.code === "number" ? error.code : null) : 0,
      signal: error?.signal ?? null,
      failure: error && typeof error.code !== "number" ? error.message : null,
    });
  });
  child.stdin?.on("error", () => undefined); // a command that exits without reading its input
  if (m.input !== undefined) child.stdin?.end(m.input);
}

// A process in its own group (its caller kills the group), stdout and stderr both into the FIFO
// `m.output`, whose read end the caller holds open (the open waits in libuv's pool, not here).
// Says {pid} once started, then {done, exitCode, signal}; or {done, failure} if it never started.
function start(m) {
  fs.open(m.output, fs.constants.O_WRONLY, (openError, fd) => {
    if (openError) return process.send({ id: m.id, done: true, failure: openError.message });
    let child;
    try {
      child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ["ignore", fd, fd] });
    } catch (e) {
      process.send({ id: m.id, done: true, failure: e instanceof Error ? e.message : String(e) });
      return;
    } finally {
      fs.closeSync(fd);
    }
    child.once("spawn", () => process.send({ id: m.id, pid: child.pid }));
    child.once("error", (e) => process.send({ id: m.id, done: true, failure: e.message }));
    child.once("exit", (exitCode, signal) => process.send({ id: m.id, done: true, exitCode, signal }));
  });
}
