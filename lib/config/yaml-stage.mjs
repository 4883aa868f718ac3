// The YAML stage of reading configuration: text → plain value, or errors with lines. Plain
// JavaScript so that the parse worker (yaml-worker.mjs) runs it without a build step; the
// schema checks that follow run in parse-config.ts. Pure.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

/** Aliases one document may expand (the yaml library's guard against "billion laughs"). */
export const MAX_ALIASES = 100;
/** Errors kept per file: a broken file of thousands of lines says enough with these. */
const MAX_ERRORS = 20;
/** Lines remembered for schema errors: paths of nodes this deep at most. */
const MAX_DEPTH = 8;
/**
 * How deep maps and lists may nest. A configuration needs a handful of levels; the bound keeps
 * every value stored from it (jsonb) and every walk over it shallow.
 */
export const MAX_NESTING = 64;
/** The parser's own error for a document nested past the stack: said as what to change. */
const TOO_DEEP = /maximum call stack size exceeded/i;
const TOO_DEEP_MESSAGE = `maps and lists are nested too deeply (more than ${MAX_NESTING} levels): flatten them`;

/**
 * @param {string} file
 * @param {string | null} text
 */
export function parseYamlFile(file, text) {
  if (text === null) return { kind: "missing" };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => ({
      file,
      line: e.linePos?.[0]?.line ?? null,
      message: TOO_DEEP.test(e.message) ? TOO_DEEP_MESSAGE : e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""),
    }));
    // The same sentence at the same line once (a parser past its stack reports it at each level it unwinds).
    const said = new Set();
    return { kind: "errors", errors: errors.filter((e) => !said.has(`${e.line}:${e.message}`) && said.add(`${e.line}:${e.message}`)).slice(0, MAX_ERRORS) };
  }
  const deep = deeperThan(doc.contents, MAX_NESTING);
  if (deep) return { kind: "errors", errors: [{ file, line: deep.range ? lineCounter.linePos(deep.range[0]).line : null, message: TOO_DEEP_MESSAGE }] };
  let value;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
  } catch (e) {
    const message = /alias count/i.test(String(e?.message)) ? `too many aliases are expanded (more than ${MAX_ALIASES}): write the values out` : TOO_DEEP.test(String(e?.message)) ? TOO_DEEP_MESSAGE : String(e?.message ?? e);
    return { kind: "errors", errors: [{ file, line: null, message }] };
  }
  // Aliases nest what they name where they stand: the value itself is checked too.
  if (valueDeeperThan(value, MAX_NESTING)) return { kind: "errors", errors: [{ file, line: null, message: TOO_DEEP_MESSAGE }] };
  /** @type {[string, number][]} path (JSON) → line, for the schema's errors */
  const lines = [];
  const walk = (node, path) => {
    if (!node || path.length > MAX_DEPTH) return;
    if (node.range) lines.push([JSON.stringify(path), lineCounter.linePos(node.range[0]).line]);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : null;
        if (typeof key !== "string" && typeof key !== "number") continue;
        const at = [...path, String(key)];
        if (pair.key?.range) lines.push([JSON.stringify(at), lineCounter.linePos(pair.key.range[0]).line]);
        walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return { kind: "ok", value, lines };
}

/**
 * The first map or list nested deeper than `limit` levels under `root`, or null. A list of
 * nodes to visit, not recursion: the document may be as deep as the parser allowed.
 */
function deeperThan(root, limit) {
  /** @type {[unknown, number][]} */
  const todo = [[root, 0]];
  while (todo.length > 0) {
    const [node, depth] = todo.pop();
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= limit) return node;
    for (const item of node.items) todo.push([isMap(node) ? item.value : item, depth + 1]);
  }
  return null;
}

/**
 * Whether the plain value `root` nests objects and arrays deeper than `limit` levels. Aliases
 * may share objects: each is walked again only when reached deeper than before, so the walk
 * stays bounded by `limit` visits of each.
 */
function valueDeeperThan(root, limit) {
  const seen = new Map();
  /** @type {[unknown, number][]} */
  const todo = [[root, 0]];
  while (todo.length > 0) {
    const [value, depth] = todo.pop();
    if (value === null || typeof value !== "object") continue;
    if (depth >= limit) return true;
    if ((seen.get(value) ?? -1) >= depth) continue;
    seen.set(value, depth);
    for (const item of Object.values(value)) todo.push([item, depth + 1]);
  }
  return false;
}
