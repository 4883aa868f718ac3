import { describe, expect, it } from "vitest";
import { appLogLabel, checkAppLogName, compareAppLogNames, parseAppLogFileName, workerLogName, type AppLogName } from "./log-names";

describe("application log names", () => {
  it("accepts the known logs and worker-<name>", () => {
    for (const name of ["access", "error", "app", "deploy", "post-deploy", "cron", "worker-queue", "worker-a_b-9", `worker-${"a".repeat(64)}`, "service-mysql", "service-db2"]) expect(checkAppLogName(name), name).toEqual({ ok: true, name });
  });

  it("refuses hostile and malformed names with a sentence", () => {
    for (const name of ["../x", "app/../../etc", "app/../../etc/passwd", "../../../etc/passwd", "/etc/passwd", "app.log", "APP", "", " app", "app ", "app\0", "worker-", "worker-Queue", "worker-a/b", "worker-..", "worker-a.b", `worker-${"a".repeat(65)}`, "service-", "service-my_sql", "service-../x", "service-MySQL", "worker", "workers-x", "deploy\n"]) {
      const check = checkAppLogName(name);
      expect(check.ok, JSON.stringify(name)).toBe(false);
      if (!check.ok) expect(check.error).toMatch(/^A log is access, error, app, deploy, post-deploy, cron, worker-<name> .* or service-<id>/);
    }
    expect(() => workerLogName("../x")).toThrow(RangeError);
    expect(workerLogName("queue")).toBe("worker-queue");
  });

  it("reads a folder's file names: logs and their parts, nothing else", () => {
    expect(parseAppLogFileName("app.log")).toEqual({ name: "app", part: null });
    expect(parseAppLogFileName("worker-q.log.2.gz")).toEqual({ name: "worker-q", part: 2, compressed: true });
    expect(parseAppLogFileName("access.log.1")).toEqual({ name: "access", part: 1, compressed: false });
    for (const file of ["app.log.1.gz.tmp", "other.log", "app.log.0.gz", "app.txt", "..log", "app.log.x.gz"]) expect(parseAppLogFileName(file), file).toBeNull();
  });

  it("labels and orders them as the console lists them", () => {
    const names: AppLogName[] = ["cron", "post-deploy", "service-redis", "worker-b", "app", "deploy", "worker-a", "service-mysql", "error", "access"];
    expect(names.sort(compareAppLogNames)).toEqual(["access", "error", "app", "worker-a", "worker-b", "service-mysql", "service-redis", "deploy", "post-deploy", "cron"]);
    expect(names.map(appLogLabel)).toEqual(["Access", "Error", "App", "Worker a", "Worker b", "Service mysql", "Service redis", "Deploy", "Post-deploy", "Cron"]);
  });
});
