// A worker thread that parses configuration YAML for the server, so that a hostile file
// costs this thread's time, never the event loop's (load-config.ts runs it through lib/off-thread.ts,
// which gives it a time budget and replaces it when it runs over).
import { parentPort } from "node:worker_threads";
import { parseYamlFile } from "./yaml-stage.mjs";

parentPort.on("message", ({ id, input }) => {
  const output = {};
  for (const [key, { file, text }] of Object.entries(input)) output[key] = parseYamlFile(file, text);
  parentPort.postMessage({ id, output });
});

parentPort.postMessage({ ready: true });
