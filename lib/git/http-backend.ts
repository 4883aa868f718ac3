import "server-only";
import { spawn } from "node:child_process";
import path from "node:path";
import { childProcessEnv } from "@/lib/env";
import { repositoryPath } from "./repository";

export interface RefUpdate {
  oldSha: string;
  newSha: string;
  ref: string;
}

export const ZERO_SHA = "0".repeat(40);

/** The ref updates at the start of a receive-pack request (pkt-lines up to the flush). */
export function parseReceivePackCommands(body: Buffer): RefUpdate[] {
  const updates: RefUpdate[] = [];
  let offset = 0;
  while (offset + 4 <= body.length) {
    const len = Number.parseInt(body.subarray(offset, offset + 4).toString("ascii"), 16);
    if (!Number.isFinite(len)) break;
    if (len === 0) break; // flush: the pack follows
    const line = body.subarray(offset + 4, offset + len).toString("utf8").split("\0")[0]!.trim();
    const [oldSha, newSha, ref] = line.split(" ");
    if (oldSha && newSha && ref) updates.push({ oldSha, newSha, ref });
    offset += len;
  }
  return updates;
}

/**
 * Runs `git http-backend` (CGI) for one request against the project's bare repository.
 * Arguments and environment are ours; the path was validated by the caller.
 */
export function runHttpBackend(options: {
  projectId: string;
  service: "info/refs" | "git-upload-pack" | "git-receive-pack";
  method: string;
  query: string;
  contentType: string | null;
  body: Buffer | null;
  remoteUser: string;
}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const repo = repositoryPath(options.projectId);
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["http-backend"], {
      env: childProcessEnv({
        GIT_PROJECT_ROOT: path.dirname(repo),
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: `/${path.basename(repo)}/${options.service}`,
        REQUEST_METHOD: options.method,
        QUERY_STRING: options.query,
        CONTENT_TYPE: options.contentType ?? "",
        CONTENT_LENGTH: String(options.body?.length ?? 0),
        REMOTE_USER: options.remoteUser,
        REMOTE_ADDR: "127.0.0.1",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
      }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.once("error", reject);
    child.once("close", () => {
      const raw = Buffer.concat(out);
      let split = raw.indexOf("\r\n\r\n");
      let sep = 4;
      if (split < 0) {
        split = raw.indexOf("\n\n");
        sep = 2;
      }
      if (split < 0) return reject(new Error(`git http-backend answered without headers: ${Buffer.concat(err).toString()}`));
      const headers = new Headers();
      let status = 200;
      for (const line of raw.subarray(0, split).toString("latin1").split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i < 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
        else headers.set(name, value);
      }
      resolve({ status, headers, body: raw.subarray(split + sep) });
    });
    child.stdin.end(options.body ?? undefined);
  });
}
