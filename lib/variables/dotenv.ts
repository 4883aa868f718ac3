/**
 * Variables as `.env` text: parsing pasted `KEY=value` lines (a `.env` file) for a bulk import,
 * and writing a level's visible variables back out. Pure and safe for the browser: the import
 * form previews with it, and the server parses again before anything is written.
 */

export const MAX_VALUE_BYTES = 100 * 1024;
export const MAX_DOTENV_BYTES = 512 * 1024;
export const MAX_DOTENV_ENTRIES = 200;

/** What is wrong with a variable name, or null. */
export function variableNameProblem(name: string): string | null {
  if (name.length === 0) return "Enter a name.";
  if (name.length > 256) return "A name has at most 256 characters.";
  if (/[\s\p{Cc}\p{Cf}]/u.test(name)) return "A name has no spaces, control or invisible characters, like env:COMPOSER_AUTH or ADMIN_EMAIL.";
  return null;
}

export function valueProblem(value: string): string | null {
  return new TextEncoder().encode(value).length > MAX_VALUE_BYTES ? `A value has at most ${MAX_VALUE_BYTES / 1024} KiB.` : null;
}

export interface DotenvEntry {
  /** The variable's name in the console (`env:` added when asked and the key has no prefix). */
  name: string;
  value: string;
  line: number;
}

export interface DotenvParse {
  entries: DotenvEntry[];
  /** One per line that cannot be read, saying what to change. */
  errors: { line: number; message: string }[];
}

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/**
 * Reads `KEY=value` lines: blank lines and `#` comments are skipped, `export ` is allowed, a
 * value may be 'single-quoted' (as written), "double-quoted" (with \n, \t, \", \\ escapes, and
 * may span lines) or bare (trimmed; ` #` starts a comment). A key with no prefix becomes
 * `env:KEY` when `shellPrefix` is set (a .env file's keys are shell variables); a key that
 * already has one (`env:`, `php:`) is kept as written. A key given twice: the last one wins,
 * as in a shell.
 */
export function parseDotenv(text: string, options: { shellPrefix: boolean }): DotenvParse {
  const errors: DotenvParse["errors"] = [];
  if (new TextEncoder().encode(text).length > MAX_DOTENV_BYTES) {
    return { entries: [], errors: [{ line: 0, message: `Paste at most ${MAX_DOTENV_BYTES / 1024} KiB at once.` }] };
  }
  const byName = new Map<string, DotenvEntry>();
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = /^(?:export\s+)?([^=\s]+)\s*=(.*)$/.exec(trimmed);
    if (!m) {
      errors.push({ line: lineNo, message: `Line ${lineNo} is not KEY=value.` });
      continue;
    }
    const key = m[1]!;
    let rest = m[2]!.trimStart();
    let value: string;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) {
        errors.push({ line: lineNo, message: `Line ${lineNo}: the value's closing ' is missing.` });
        continue;
      }
      value = rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      // A double-quoted value may continue on the next lines until its closing quote.
      let out = "";
      let closed = false;
      let j = 1;
      for (;;) {
        for (; j < rest.length; j++) {
          const c = rest[j]!;
          if (c === "\\" && j + 1 < rest.length) {
            out += ESCAPES[rest[j + 1]!] ?? `\\${rest[j + 1]}`;
            j++;
          } else if (c === '"') {
            closed = true;
            break;
          } else out += c;
        }
        if (closed || i + 1 >= lines.length) break;
        out += "\n";
        rest = lines[++i]!;
        j = 0;
      }
      if (!closed) {
        errors.push({ line: lineNo, message: `Line ${lineNo}: the value's closing " is missing.` });
        i = lineNo - 1; // read the lines after it on their own
        continue;
      }
      value = out;
    } else {
      const comment = rest.search(/\s#/);
      value = (comment >= 0 ? rest.slice(0, comment) : rest).trim();
    }
    const name = options.shellPrefix && !key.includes(":") ? `env:${key}` : key;
    const problem = variableNameProblem(name) ?? valueProblem(value);
    if (problem) {
      errors.push({ line: lineNo, message: `Line ${lineNo} (${key.slice(0, 40)}): ${problem}` });
      continue;
    }
    byName.delete(name);
    byName.set(name, { name, value, line: lineNo });
  }
  const entries = [...byName.values()];
  if (entries.length > MAX_DOTENV_ENTRIES) {
    return { entries: [], errors: [...errors, { line: 0, message: `Import at most ${MAX_DOTENV_ENTRIES} variables at once (this has ${entries.length}).` }] };
  }
  return { entries, errors };
}

/** A value as a .env line writes it: bare when it is safe, double-quoted with escapes otherwise. */
function quote(value: string): string {
  if (/^[A-Za-z0-9_./:@,+-]*$/.test(value)) return value;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
}

/**
 * Writes variables as .env text: `env:FOO` as `FOO=…` (the shell variable the hooks get),
 * other names as written; sensitive ones (whose values are never sent back) become a comment.
 */
export function toDotenv(variables: readonly { name: string; value: string | null; isSensitive: boolean }[]): string {
  return variables
    .map((v) => {
      const key = v.name.startsWith("env:") ? v.name.slice(4) : v.name;
      if (v.isSensitive || v.value === null) return `# ${key}: sensitive, not copied`;
      return `${key}=${quote(v.value)}`;
    })
    .join("\n")
    .concat(variables.length ? "\n" : "");
}
