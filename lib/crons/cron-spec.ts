/**
 * A cron's `spec` as the platform writes it, read and checked here, pure: five fields (minute,
 * hour, day of the month, month, day of the week), `@hourly`-style names, and the platform's `H`
 * hash syntax (`H`, `H(0-29)`, `H/15`, `H(0-29)/10`: a value, or a start, chosen from the cron's
 * own name so that crons of many environments do not all start at once). A spec is expanded into
 * plain numbers before anything else reads it; what is wrong gets a sentence saying what to
 * change. When it runs next is cron-parser's to say (with the app's `timezone`), and in words
 * cronstrue's.
 */
import { CronExpressionParser } from "cron-parser";
import cronstrue from "cronstrue";

/** The most characters a spec may have. */
export const MAX_SPEC_LENGTH = 200;

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of the month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  // 0 and 7 are both Sunday.
  { name: "day of the week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
/** The most days each month can have (February: 29). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export type CronSpec =
  | {
      ok: true;
      /** The spec in plain numbers (H chosen, names expanded), five fields. */
      expression: string;
      /** "every 5 minutes". */
      description: string;
    }
  | { ok: false; error: string };

/** A stable number in [0, range) for `seed` (the cron's environment and name) and the field. */
function hashed(seed: string, field: number, range: number): number {
  let h = 2166136261;
  for (const c of `${seed}\u0000${field}`) h = Math.imul(h ^ c.codePointAt(0)!, 16777619) >>> 0;
  // FNV's low bits follow the last characters closely (env1…env9 would share a day): mixed first (MurmurHash3's finalizer).
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % range;
}

class SpecError extends Error {}

function number(text: string, f: Field): number {
  const lower = text.toLowerCase();
  const named = f.names?.indexOf(lower) ?? -1;
  if (named >= 0) return f.name === "month" ? named + 1 : named;
  if (!/^\d{1,2}$/.test(text)) throw new SpecError(`${f.name}: “${text}” is not a number${f.names ? ` or a name (${f.names.slice(0, 3).join(", ")}…)` : ""}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new SpecError(`${f.name}: ${n} is out of range (${f.min}–${f.max})`);
  return n;
}

/** One field's atoms in plain numbers, the set of values it takes, and the range of each `H` alone (any value of which another seed may choose). */
function expandField(text: string, index: number, seed: string): { text: string; values: Set<number>; hashedRanges: [number, number][] } {
  const f = FIELDS[index]!;
  const values = new Set<number>();
  const parts: string[] = [];
  const hashedRanges: [number, number][] = [];
  for (const atom of text.split(",")) {
    if (atom === "") throw new SpecError(`${f.name}: an empty item in “${text}”`);
    const m = /^(\*|H(?:\((\w+)-(\w+)\))?|(\w+)(?:-(\w+))?)(?:\/(\d+))?$/.exec(atom);
    if (!m) throw new SpecError(`${f.name}: “${atom}” is not a value, a range (1-5), a list (1,3) or a step (*/15)`);
    const [, head, hFrom, hTo, from, to, stepText] = m;
    const step = stepText === undefined ? undefined : Number(stepText);
    if (step !== undefined && step < 1) throw new SpecError(`${f.name}: a step must be at least 1 (“${atom}”)`);
    let low: number;
    let high: number;
    if (head === "*") [low, high] = [f.min, f.max];
    else if (head!.startsWith("H")) {
      const rangeLow = hFrom === undefined ? f.min : number(hFrom, f);
      // (A day of the month chosen from 1-28, as Jenkins does: every month has it.)
      const rangeHigh = hTo === undefined ? (index === 4 ? 6 : index === 2 ? 28 : f.max) : number(hTo, f);
      if (rangeLow > rangeHigh) throw new SpecError(`${f.name}: the range of “${atom}” goes backwards`);
      if (step === undefined) {
        // H alone: one value of the range.
        const v = rangeLow + hashed(seed, index, rangeHigh - rangeLow + 1);
        values.add(v);
        parts.push(String(v));
        hashedRanges.push([rangeLow, rangeHigh]);
        continue;
      }
      // H/n: every n from a start chosen within the first n.
      if (step > rangeHigh - rangeLow + 1) throw new SpecError(`${f.name}: the step of “${atom}” is longer than its range`);
      low = rangeLow + hashed(seed, index, step);
      high = rangeHigh;
    } else {
      low = number(from!, f);
      high = to === undefined ? (step === undefined ? low : f.max) : number(to, f);
      if (low > high) throw new SpecError(`${f.name}: the range “${atom}” goes backwards`);
    }
    if (step !== undefined && step > f.max - f.min + 1) throw new SpecError(`${f.name}: a step of ${step} is longer than its range (${f.min}–${f.max})`);
    for (let v = low; v <= high; v += step ?? 1) values.add(v);
    if (head === "*") parts.push(step === undefined ? "*" : `*/${step}`);
    else parts.push(low === high && step === undefined ? String(low) : `${low}-${high}${step !== undefined ? `/${step}` : ""}`);
  }
  return { text: parts.join(","), values, hashedRanges };
}

/**
 * Reads `spec` (as services.yaml's crons write it) for the cron `seed` names (its environment
 * and name: what H chooses from). Every problem is one sentence that says what to change.
 */
export function parseCronSpec(spec: unknown, seed = ""): CronSpec {
  if (typeof spec !== "string") return { ok: false, error: "spec must be a string such as “*/5 * * * *”" };
  if (spec.length > MAX_SPEC_LENGTH) return { ok: false, error: `spec is at most ${MAX_SPEC_LENGTH} characters` };
  const trimmed = spec.trim();
  const macro = MACROS[trimmed.toLowerCase()];
  if (trimmed.startsWith("@") && !macro) return { ok: false, error: `“${trimmed.slice(0, 40)}” is not one of ${Object.keys(MACROS).join(", ")}` };
  const fields = (macro ?? trimmed).split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    const extra = fields.length === 6 ? ": seconds are not supported, remove the first field" : "";
    return { ok: false, error: `a spec has 5 fields (minute hour day-of-month month day-of-week); “${trimmed.slice(0, 60)}” has ${fields.length}${extra}` };
  }
  try {
    const expanded = fields.map((text, i) => expandField(text, i, seed));
    // A day of the month no month it names has (Feb 30), while the day of the week does not widen it: it never runs.
    const [, , days, months, weekdays] = expanded;
    if (fields[4] === "*" && fields[2] !== "*") {
      // H chooses another day for another environment or cron: each day it may choose must be one of these months'.
      for (const [low, high] of days!.hashedRanges) {
        const beyond = [...months!.values].filter((m) => high > MONTH_DAYS[m - 1]!);
        if (beyond.length === months!.values.size) {
          const shortest = Math.min(...[...months!.values].map((m) => MONTH_DAYS[m - 1]!));
          throw new SpecError(`day of the month: H(${low}-${high}) may choose day ${high}, which ${beyond.map((m) => MONTH_NAMES[m - 1]).join(", ")} ${beyond.length === 1 ? "does" : "do"} not have: give a range they all have, such as H(${low <= shortest ? low : 1}-${shortest})`);
        }
      }
      const possible = [...months!.values].some((m) => [...days!.values].some((d) => d <= MONTH_DAYS[m - 1]!));
      if (!possible) {
        const names = [...months!.values].map((m) => MONTH_NAMES[m - 1]).join(", ");
        throw new SpecError(`it never runs: ${names} ${months!.values.size === 1 ? "has" : "have"} no day ${[...days!.values].join(", ")}`);
      }
    }
    void weekdays;
    const expression = expanded.map((e) => e.text).join(" ");
    // cron-parser reads it once more, as it will when it says when the next run is.
    CronExpressionParser.parse(expression, { currentDate: new Date(0), tz: "UTC" }).next();
    const words = cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false });
    return { ok: true, expression, description: words.charAt(0).toLowerCase() + words.slice(1) };
  } catch (err) {
    if (err instanceof SpecError) return { ok: false, error: err.message };
    return { ok: false, error: `“${trimmed.slice(0, 60)}” cannot be read as a cron spec (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Whether `zone` is a time zone this host knows (an IANA name such as Europe/Paris). */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== "string" || zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The next `count` times `expression` (parseCronSpec's) runs after `from`, in `timezone` (UTC when none). */
export function nextRuns(expression: string, from: Date, count = 1, timezone?: string): Date[] {
  const it = CronExpressionParser.parse(expression, { currentDate: from, tz: timezone && isTimeZone(timezone) ? timezone : "UTC" });
  return Array.from({ length: count }, () => it.next().toDate());
}
