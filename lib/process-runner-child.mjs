// The process runner: a small child process of the server that starts short commands (git, cp,
// mkfifo) for it. Starting a process from the server itself blocks its one thread for 10-20 ms
// (fork copies the page tables of a process holding the embedded database); from this process,
// which holds nothing, it takes about 1 ms. lib/process-runner.ts starts it and sends it work.
import { execFile } from "node:child_process";

process.on("disconnect", () => process.exit(0));
process.on("message", (m) => {
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
});
