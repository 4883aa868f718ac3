import "server-only";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { git, gitOrNull } from "@/lib/git/git";
import { repositoryPath } from "@/lib/git/repository";
import { CONFIG_FILES, MAX_CONFIG_FILE_BYTES, validateConfig, type ConfigFileKey, type ConfigResult, type ParsedConfigFiles } from "./parse-config";
import type { ParsedYaml } from "./yaml-stage.mjs";

/** How long the three files of one commit may take to parse before the parse is abandoned. */
export const PARSE_BUDGET_MS = 5_000;
const CACHE_ENTRIES = 200;

type Request = { id: number; files: Partial<Record<ConfigFileKey, { file: string; text: string | null }>> };
type Pending = { resolve: (r: Record<ConfigFileKey, ParsedYaml>) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** One worker thread per process, made on first use and replaced when a parse runs over its budget. */
const parser = { worker: null as Worker | null, pending: new Map<number, Pending>(), next: 0 };

function workerFile(): string {
  return path.join(process.cwd(), "lib", "config", "yaml-worker.mjs");
}

function failAll(error: Error) {
  for (const [id, p] of parser.pending) {
    clearTimeout(p.timer);
    p.reject(error);
    parser.pending.delete(id);
  }
}

function getWorker(): Worker {
  if (parser.worker) return parser.worker;
  // The worker's heap is capped too: a file built to blow up in memory ends the worker, not the server.
  const worker = new Worker(workerFile(), { resourceLimits: { maxOldGenerationSizeMb: 256 } });
  worker.unref();
  worker.on("message", (m: { id: number; results: Record<ConfigFileKey, ParsedYaml> }) => {
    const p = parser.pending.get(m.id);
    if (!p) return;
    clearTimeout(p.timer);
    parser.pending.delete(m.id);
    p.resolve(m.results);
  });
  const gone = (error: Error) => {
    if (parser.worker === worker) parser.worker = null;
    failAll(error);
  };
  worker.on("error", (e) => gone(new ParseFailure(`the configuration could not be parsed (${e.message.slice(0, 200)})`)));
  worker.on("exit", () => gone(new ParseFailure("the configuration could not be parsed")));
  parser.worker = worker;
  return worker;
}

class ParseFailure extends Error {}

/** Parses in the worker thread within PARSE_BUDGET_MS; past it the worker is terminated (and made again for the next parse). */
function parseOffThread(files: Request["files"]): Promise<Record<ConfigFileKey, ParsedYaml>> {
  // (One file per call, so that a budget overrun names its file.)
  return new Promise((resolve, reject) => {
    const id = ++parser.next;
    const worker = getWorker();
    const timer = setTimeout(() => {
      parser.pending.delete(id);
      reject(new ParseFailure(`parsing took longer than ${PARSE_BUDGET_MS / 1000} s and was stopped: simplify the file`));
      if (parser.worker === worker) parser.worker = null;
      failAll(new ParseFailure("the configuration parser was restarted; try again"));
      void worker.terminate();
    }, PARSE_BUDGET_MS);
    parser.pending.set(id, { resolve, reject, timer });
    worker.postMessage({ id, files } satisfies Request);
  });
}

/** Parses kept by the three files' blob ids: a commit's configuration is parsed once, whoever asks. */
const cache = new Map<string, Promise<ConfigResult>>();

interface Entry {
  key: ConfigFileKey;
  file: string;
  blob: string | null;
  problem: string | null;
}

/** The three files' blobs at a commit, from git's tree listing (with their sizes, before anything is read). */
async function listConfigBlobs(projectId: string, commit: string): Promise<Entry[]> {
  const out = (await gitOrNull(["ls-tree", "-l", "-z", commit, "--", ...Object.values(CONFIG_FILES)], { gitDir: repositoryPath(projectId) })) ?? "";
  const byPath = new Map<string, { mode: string; type: string; blob: string; size: number }>();
  for (const record of out.split("\0").filter(Boolean)) {
    const [meta, file] = record.split("\t") as [string, string];
    const [mode, type, blob, size] = meta.split(/\s+/) as [string, string, string, string];
    byPath.set(file, { mode, type, blob, size: Number(size) });
  }
  return (Object.entries(CONFIG_FILES) as [ConfigFileKey, string][]).map(([key, file]) => {
    const found = byPath.get(file);
    if (!found) return { key, file, blob: null, problem: null };
    if (found.type !== "blob" || found.mode === "120000") return { key, file, blob: found.blob, problem: "must be a regular file (not a symbolic link or a directory)" };
    if (found.size > MAX_CONFIG_FILE_BYTES) {
      return { key, file, blob: found.blob, problem: `is ${(found.size / 1024 / 1024).toFixed(1)} MiB; configuration files may be at most ${MAX_CONFIG_FILE_BYTES / 1024 / 1024} MiB` };
    }
    return { key, file, blob: found.blob, problem: null };
  });
}

async function parseBlobs(projectId: string, entries: Entry[]): Promise<ConfigResult> {
  const gitDir = repositoryPath(projectId);
  const tooBig = entries.filter((e) => e.problem);
  if (tooBig.length > 0) return { ok: false, errors: tooBig.map((e) => ({ file: e.file, line: null, message: e.problem! })) };
  const texts = await Promise.all(entries.map(async (e) => (e.blob ? git(["cat-file", "blob", e.blob], { gitDir, maxBuffer: MAX_CONFIG_FILE_BYTES + 1024 }) : null)));
  const parsed = {} as ParsedConfigFiles;
  for (const [i, e] of entries.entries()) {
    try {
      parsed[e.key] = (await parseOffThread({ [e.key]: { file: e.file, text: texts[i]! } }))[e.key];
    } catch (err) {
      if (!(err instanceof ParseFailure)) throw err;
      return { ok: false, errors: [{ file: e.file, line: null, message: err.message }] };
    }
  }
  return validateConfig(parsed);
}

/**
 * The configuration at a commit of a project's repository: each file at most 1 MiB (checked
 * before it is read), parsed in a worker thread within a time budget and with the YAML
 * parser's alias limit, so a hostile file never stalls the server; the result (or its
 * configuration errors) is cached by the files' blob ids.
 */
export async function loadProjectConfig(projectId: string, commit: string): Promise<ConfigResult> {
  const entries = await listConfigBlobs(projectId, commit);
  const key = entries.map((e) => e.blob ?? "-").join(":");
  let result = cache.get(key);
  if (!result) {
    result = parseBlobs(projectId, entries);
    cache.set(key, result);
    result.catch(() => cache.delete(key));
    // A budget overrun is not cached as the file's verdict only when it was the restart of another's parse.
    void result.then((r) => {
      if (!r.ok && r.errors.some((e) => e.message.includes("was restarted"))) cache.delete(key);
    });
    if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return result;
}
