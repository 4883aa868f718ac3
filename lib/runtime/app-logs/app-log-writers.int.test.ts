import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { dataPaths } from "@/lib/paths";
import { AppLogNameError, closeEnvironmentLogs, deleteEnvironmentLogs, openAppLog, openAppLogCount } from "./app-log-writers";

const read = (file: string) => fs.readFileSync(file, "utf8");

it("gives every caller of a file one shared writer, closed when its last handle is", async () => {
  const router = openAppLog("shop", "staging", "error");
  const supervisor = openAppLog("shop", "staging", "error");
  const access = openAppLog("shop", "staging", "access");
  expect(router.file).toBe(path.join(dataPaths.environmentLogs("shop", "staging"), "error.log"));
  expect(openAppLogCount()).toBe(2);
  router.line("upstream timed out");
  supervisor.line("nginx: [emerg] bind() failed", "stderr");
  access.line("2026-12-06T07:40:00.123Z GET / 200 3ms 512 127.0.0.1");
  await router.close();
  await router.close(); // twice is once
  supervisor.line("still open");
  await supervisor.close();
  router.line("closed: ignored");
  expect(openAppLogCount()).toBe(1);
  const lines = read(router.file).trimEnd().split("\n");
  expect(lines.map((l) => l.slice(25))).toEqual(["upstream timed out", "[stderr] nginx: [emerg] bind() failed", "still open"]);
  expect(lines[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /);
  await closeEnvironmentLogs("shop", "staging");
  expect(read(access.file)).toBe("2026-12-06T07:40:00.123Z GET / 200 3ms 512 127.0.0.1\n"); // flushed on close
  expect(openAppLogCount()).toBe(0);
  access.line("after the environment's logs closed");
  await access.flush();
  expect(read(access.file)).not.toContain("after");
});

it("refuses names that are not a log's, and ids that are not one path component", () => {
  for (const [project, env, name] of [
    ["shop", "staging", "../x"],
    ["shop", "staging", "app/../../etc"],
    ["shop", "staging", "worker-../../x"],
    ["shop", "..", "app"],
    ["..", "staging", "app"],
    ["shop", "a/b", "app"],
    ["shop", "", "app"],
  ] as const)
    expect(() => openAppLog(project, env, name), `${project}/${env}/${name}`).toThrow(AppLogNameError);
  expect(openAppLogCount()).toBe(0);
});

it("deletes an environment's logs: its writers stop, its folder goes, links inside it are removed, not followed", async () => {
  const app = openAppLog("shop", "feature", "app");
  const worker = openAppLog("shop", "feature", "worker-queue");
  app.line("hello");
  worker.line("job 1 done");
  await app.flush();
  await worker.flush();
  const dir = dataPaths.environmentLogs("shop", "feature");
  const other = openAppLog("shop", "other", "app");
  other.line("another environment's line");
  await other.flush();
  fs.symlinkSync(dataPaths.environmentLogs("shop", "other"), path.join(dir, "link-to-other"));
  fs.symlinkSync(path.dirname(dataPaths.logs("shop")), path.join(dir, "link-to-data"));
  fs.symlinkSync("/etc", path.join(dir, "link-to-etc"));
  fs.symlinkSync("/", path.join(dir, "link-to-root"));
  worker.line("waiting when deleted");
  await deleteEnvironmentLogs("shop", "feature");
  expect(fs.existsSync(dir)).toBe(false);
  expect(read(other.file)).toMatch(/ another environment's line\n$/);
  expect(fs.existsSync("/etc/passwd")).toBe(true);
  worker.line("after deletion");
  await worker.flush();
  expect(fs.existsSync(dir)).toBe(false); // a stopped writer makes nothing again
  await other.close();
  expect(openAppLogCount()).toBe(0);
  await expect(deleteEnvironmentLogs("shop", "../other")).rejects.toThrow(AppLogNameError);
});
