import "server-only";
import { childProcessEnv } from "@/lib/env";
import { runFile } from "@/lib/process-runner";

/** A git command that failed, with what git printed. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ""} failed (${exitCode}): ${stderr.trim() || stdout.trim()}`);
    this.name = "GitError";
  }
}

export interface GitOptions {
  /** The bare repository (--git-dir). */
  gitDir?: string;
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  maxBuffer?: number;
}

// Never read the machine's or the user's git configuration; never prompt.
const BASE_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: "Project Web Interface",
  GIT_AUTHOR_EMAIL: "noreply@localhost",
  GIT_COMMITTER_NAME: "Project Web Interface",
  GIT_COMMITTER_EMAIL: "noreply@localhost",
  LC_ALL: "C",
};

/**
 * Runs git with an argument array (never a shell string) and returns its stdout.
 * Callers pass user-supplied names only after validating them, and always after `--`
 * where git would otherwise read them as options.
 */
export async function git(args: readonly string[], options: GitOptions = {}): Promise<string> {
  const fullArgs = options.gitDir ? [`--git-dir=${options.gitDir}`, ...args] : [...args];
  const result = await runFile("git", fullArgs, {
    cwd: options.cwd,
    env: childProcessEnv({ ...BASE_ENV, ...options.env }),
    maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
    input: options.input,
  });
  if (result.exitCode !== 0) throw new GitError(args, result.exitCode, result.stdout, result.stderr || (result.failure ?? ""));
  return result.stdout;
}

/** git's answer, or null when it exits non-zero (for questions like "does this ref exist?"). */
export async function gitOrNull(args: readonly string[], options: GitOptions = {}): Promise<string | null> {
  try {
    return await git(args, options);
  } catch (err) {
    if (err instanceof GitError) return null;
    throw err;
  }
}
