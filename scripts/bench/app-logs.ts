// Benchmark of application logs: a line written by the AppLogWriter → the same line received by
// an open follow stream of the REST API (GET …/logs/app?follow=1) of a production server.
// Rows: NDJSON and Server-Sent Events at an application's pace (50 lines/s), NDJSON at a busy
// pace (500 lines/s), and NDJSON at 50 lines/s while the access log takes 1,000 lines/s beside
// it. The goal is p95 ≤ 100 ms. The writer runs in this process, as the runtime's does in the
// server's: the file and its inotify events are the same either way.
// Run: npm run build && npm run bench:app-logs
import fs from "node:fs";
import http from "node:http";
import { resetEnvForTests } from "@/lib/env";
import { closeEnvironmentLogs, openAppLog } from "@/lib/runtime/app-logs/app-log-writers";
import { cookieOf, startSignedIn } from "./support";

const GOAL_P95_MS = 100;
const PROJECT = "demo-store";
const ENV = "staging";

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Opens a follow stream and calls `onLine` with each line's text as it arrives; resolves once the answer's headers came. */
function follow(baseUrl: string, cookie: string, sse: boolean, onLine: (text: string) => void): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`/api/projects/${PROJECT}/environments/${ENV}/logs/app?follow=1&lines=0`, baseUrl);
    const req = http.get(url, { headers: { cookie, accept: sse ? "text/event-stream" : "application/x-ndjson" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`follow answered ${res.statusCode}`));
      res.setEncoding("utf8");
      let buffered = "";
      res.on("data", (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        for (const part of parts) {
          if (sse) {
            if (part.startsWith("data: ")) onLine((JSON.parse(part.slice(6)) as { line: string }).line);
          } else if (part) onLine((JSON.parse(part) as { line: string }).line);
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on("error", (e) => (e.message === "socket hang up" ? undefined : reject(e)));
  });
}

/** The inotify watches a process holds (each followed log's folder is one while a stream is open). */
function inotifyWatches(pid: number): number {
  let watches = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").split("\n");
    watches += info.filter((l) => l.startsWith("inotify wd:")).length;
  }
  return watches;
}

let serverPid = 0;
let watchesDuring = 0;

interface Row {
  label: string;
  lines: number;
  received: number;
  p50: number;
  p95: number;
  max: number;
}

async function measure(baseUrl: string, cookie: string, label: string, options: { sse: boolean; lines: number; perSecond: number; accessPerSecond?: number }): Promise<Row> {
  const writer = openAppLog(PROJECT, ENV, "app");
  const access = openAppLog(PROJECT, ENV, "access");
  const sent = new Map<number, number>();
  const delays: number[] = [];
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  const stream = await follow(baseUrl, cookie, options.sse, (text) => {
    const m = / bench (\d+)$/.exec(text);
    const at = m ? sent.get(Number(m[1])) : undefined;
    if (at === undefined) return;
    delays.push(performance.now() - at);
    sent.delete(Number(m![1]));
    if (delays.length === options.lines) done();
  });
  await new Promise((r) => setTimeout(r, 500)); // the stream's follower is watching
  watchesDuring = Math.max(watchesDuring, inotifyWatches(serverPid));
  const noise = options.accessPerSecond
    ? setInterval(() => {
        for (let i = 0; i < options.accessPerSecond! / 100; i++) access.line(`${new Date().toISOString()} GET /catalog/product/view/id/${i} 200 12ms 5120 203.0.113.7`);
      }, 10)
    : null;
  const interval = 1000 / options.perSecond;
  const start = performance.now();
  for (let i = 0; i < options.lines; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent.set(i, performance.now());
    writer.line(`${label} bench ${i}`);
  }
  await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
  if (noise) clearInterval(noise);
  stream.close();
  await writer.close();
  await access.close();
  return { label, lines: options.lines, received: delays.length, p50: pct(delays, 50), p95: pct(delays, 95), max: Math.max(...delays) };
}

const { server, browser, page } = await startSignedIn();
try {
  const cookie = await cookieOf(page.context());
  await browser.close();
  process.env.DATA_DIR = server.dataDir;
  resetEnvForTests();
  serverPid = server.pid;
  const watchesBefore = inotifyWatches(server.pid);
  const rows: Row[] = [];
  rows.push(await measure(server.url, cookie, "NDJSON follow, 50 lines/s", { sse: false, lines: 600, perSecond: 50 }));
  rows.push(await measure(server.url, cookie, "SSE follow, 50 lines/s", { sse: true, lines: 600, perSecond: 50 }));
  rows.push(await measure(server.url, cookie, "NDJSON follow, 500 lines/s", { sse: false, lines: 2000, perSecond: 500 }));
  rows.push(await measure(server.url, cookie, "NDJSON follow, 50 lines/s + access 1,000 lines/s", { sse: false, lines: 600, perSecond: 50, accessPerSecond: 1000 }));
  await closeEnvironmentLogs(PROJECT, ENV);
  await new Promise((r) => setTimeout(r, 1000)); // the server sees the last stream's client go
  const watchesAfter = inotifyWatches(server.pid);

  const width = Math.max(...rows.map((r) => r.label.length));
  console.log(`\nAppLogWriter.line() → line received by an open follow stream of the API (goal: p95 ≤ ${GOAL_P95_MS} ms)`);
  console.log(`${"".padEnd(width)}  lines (received)  p50 ms  p95 ms  max ms  goal`);
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(width)}  ${`${r.lines} (${r.received})`.padEnd(16)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p95.toFixed(1).padStart(6)}  ${r.max.toFixed(1).padStart(6)}  ${r.p95 <= GOAL_P95_MS && r.received === r.lines ? "met" : "MISSED"}`,
    );
  }
  console.log(`server's inotify watches: ${watchesBefore} before the streams, ${watchesDuring} while one was open, ${watchesAfter} after they closed`);
} finally {
  await server.stop();
}
