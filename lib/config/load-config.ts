import "server-only";
import path from "node:path";
import { git, gitOrNull } from "@/lib/git/git";
import { OffThreadFailure, offThread } from "@/lib/off-thread";
import { repositoryPath } from "@/lib/git/repository";
import { CONFIG_FILES, MAX_CONFIG_FILE_BYTES, validateConfig, type ConfigFileKey, type ConfigResult, type ParsedConfigFiles } from "./parse-config";
import type { ParsedYaml } from "./yaml-stage.mjs";

/** How long the three files of one commit may take to parse before the parse is abandoned. */
export const PARSE_BUDGET_MS = 5_000;
const CACHE_ENTRIES = 200;

type Files = Partial<Record<ConfigFileKey, { file: string; text: string | null }>>;

/** Parses in a worker thread within PARSE_BUDGET_MS; past it the worker is terminated (and made again for the next parse). One file per call, so that a budget overrun names its file. */
const parseOffThread = offThread<Files, Record<ConfigFileKey, ParsedYaml>>(path.join(process.cwd(), "lib", "config", "yaml-worker.mjs"), {
  budgetMs: PARSE_BUDGET_MS,
  maxOldGenerationSizeMb: 256,
  idleMs: 15_000,
  messages: {
    overBudget: `parsing took longer than ${PARSE_BUDGET_MS / 1000} s and was stopped: simplify the file`,
    restarted: "the configuration parser was restarted; try again",
    crashed: (detail) => `the configuration could not be parsed${detail ? ` (${detail})` : ""}`,
  },
});

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
      if (!(err instanceof OffThreadFailure)) throw err;
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
