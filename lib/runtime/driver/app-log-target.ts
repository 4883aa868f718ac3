import "server-only";
import fs from "node:fs";
import path from "node:path";
import { dataPaths } from "@/lib/paths";
import type { LineTarget } from "@/lib/runtime/supervisor/supervised-process";

/** An environment's application log by name (app, error, worker-<name>): lines appended with their time. */
export function appLogTarget(projectId: string, environmentName: string, name: string): LineTarget {
  const dir = dataPaths.environmentLogs(projectId, environmentName);
  const file = path.join(dir, `${name}.log`);
  return {
    line(text) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.appendFileSync(file, `${new Date().toISOString()} ${text}\n`, { flag: (fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW) as unknown as string });
      } catch {
        /* a log that cannot be written does not stop the application */
      }
    },
  };
}
