import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { expect, it } from "vitest";
import { OffThreadFailure, offThread } from "./off-thread";

// A worker that echoes, loops forever on "loop", and allocates without end on "grow"; it takes
// LOAD_MS to load (its import) before it says it is ready.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "off-thread-"));
const workerScript = (loadMs: number, ready = true) => {
  const file = path.join(dir, `worker-${loadMs}-${ready}.mjs`);
  fs.writeFileSync(
    file,
    `import { parentPort } from "node:worker_threads";
const until = Date.now() + ${loadMs};
while (Date.now() < until);
parentPort.on("message", ({ id, input }) => {
  if (input === "loop") for (;;);
  if (input === "grow") { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); }
  parentPort.postMessage({ id, output: input.toUpperCase() });
});
${ready ? "parentPort.postMessage({ ready: true });" : ""}`,
  );
  return file;
};
const script = workerScript(0);
const messages = { overBudget: "over budget", restarted: "restarted", crashed: (d: string | null) => `crashed${d ? `: ${d}` : ""}` };

it("answers tasks from the worker; a task over its budget fails, the event loop stays free, and the next task gets a new worker", async () => {
  const run = offThread<string, string>(script, { budgetMs: 500, maxOldGenerationSizeMb: 32, messages });
  expect(await run("hello")).toBe("HELLO");
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await expect(run("loop")).rejects.toEqual(new OffThreadFailure("over budget"));
  delay.disable();
  expect(delay.max / 1e6).toBeLessThan(300); // the loop ran on the worker's thread, not this one
  expect(await run("again")).toBe("AGAIN");
});

it("a task that blows up in memory ends the worker, not this process", async () => {
  const run = offThread<string, string>(script, { budgetMs: 20_000, maxOldGenerationSizeMb: 32, messages });
  await expect(run("grow")).rejects.toBeInstanceOf(OffThreadFailure);
  expect(await run("fine")).toBe("FINE");
});

it("an idle worker ends, and is made again on the next task", async () => {
  const run = offThread<string, string>(script, { budgetMs: 2_000, maxOldGenerationSizeMb: 32, idleMs: 50, messages });
  expect(await run("a")).toBe("A");
  await new Promise((r) => setTimeout(r, 200));
  expect(await run("b")).toBe("B");
});

it("a task's budget starts when its worker is ready: a slow start is not the task's fault", async () => {
  const run = offThread<string, string>(workerScript(800), { budgetMs: 300, maxOldGenerationSizeMb: 32, messages });
  expect(await run("slow start")).toBe("SLOW START");
  await expect(run("loop")).rejects.toEqual(new OffThreadFailure("over budget"));
});

it("a worker that does not load in startMs is ended, and its tasks fail", async () => {
  const run = offThread<string, string>(workerScript(60_000, false), { budgetMs: 300, startMs: 400, maxOldGenerationSizeMb: 32, messages });
  await expect(run("never")).rejects.toEqual(new OffThreadFailure("crashed: it did not start in time"));
});
