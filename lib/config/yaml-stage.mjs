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
 * @param {string} file
 * @param {string | null} text
 */
export function parseYamlFile(file, text) {
  if (text === null) return { kind: "missing" };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      kind: "errors",
      errors: doc.errors.slice(0, MAX_ERRORS).map((e) => ({
        file,
        line: e.linePos?.[0]?.line ?? null,
        message: e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""),
      })),
    };
  }
  let value;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
  } catch (e) {
    const message = /alias count/i.test(String(e?.message)) ? `too many aliases are expanded (more than ${MAX_ALIASES}): write the values out` : String(e?.message ?? e);
    return { kind: "errors", errors: [{ file, line: null, message }] };
  }
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
